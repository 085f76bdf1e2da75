// @enis/client and @enis/react as a user gets them (docs/sdks.md, docs/frontend.md): each built
// by its own `npm run build`, packed by `npm pack`, installed from the two tarballs into an empty
// project, type-checked there against the declarations they ship, and run.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEnvironment, type Environment } from '../conformance/harness/environment.ts';
import { runToEnd } from '../conformance/harness/run.ts';
import { loadScenarios } from '../conformance/harness/scenarios.ts';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'node_modules/.bin');
let environment: Environment;
let project: string;

/** Runs a command to its end in `cwd`; fails with its output when it exits non-zero. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const { code, output } = await runToEnd(spawn(command, args, { cwd, env }));
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${String(code)}:\n${output}`);
  return output;
}

/** The project's own dependencies, linked from this repository's: React and the types it checks with. */
const linked = ['react', 'react-dom', '@types/react', '@types/react-dom', '@types/node'];

beforeAll(async () => {
  environment = await startEnvironment(inject('redisUrl'));
  project = await mkdtemp(join(tmpdir(), 'enis-packages-'));
  for (const sdk of ['ts', 'react']) {
    await run('npm', ['run', 'build', '--silent'], join(root, 'sdk', sdk));
    await run('npm', ['pack', '--silent', '--pack-destination', project], join(root, 'sdk', sdk));
  }
  const tarballs = (await readdir(project)).filter((name) => name.endsWith('.tgz')).sort();
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'enis-packages-user',
      private: true,
      type: 'module',
      dependencies: {
        '@enis/client': `file:./${tarballs.find((name) => name.startsWith('enis-client-'))!}`,
        '@enis/react': `file:./${tarballs.find((name) => name.startsWith('enis-react-'))!}`,
        ...Object.fromEntries(
          linked.map((name) => [name, `file:${join(root, 'node_modules', name)}`]),
        ),
      },
    }),
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    project,
  );
  await copyFile(join(import.meta.dirname, 'consumer.ts'), join(project, 'consumer.ts'));
}, 240_000);

afterAll(async () => {
  await environment.stop();
  await rm(project, { recursive: true, force: true });
});

describe('the published SDK packages', () => {
  it('ship their built files and a README, nothing else, and @enis/react depends on @enis/client by version', async () => {
    const listing = await run(
      'tar',
      ['-tzf', (await readdir(project)).find((n) => n.startsWith('enis-react-'))!],
      project,
    );
    const files = listing.trim().split('\n').sort();
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/enis-react.css');
    expect(files).toContain('package/README.md');
    expect(
      files.filter(
        (file) => !/^package\/(dist\/.+\.(js|d\.ts|css)|package\.json|README\.md)$/.test(file),
      ),
    ).toEqual([]);
    const installed = JSON.parse(
      await readFile(join(project, 'node_modules/@enis/react/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(installed.dependencies).toEqual({ '@enis/client': '0.1.0' });
    // The one @enis/client installed is the packed one, not another package of that name.
    const client = JSON.parse(
      await readFile(join(project, 'node_modules/@enis/client/package.json'), 'utf8'),
    ) as { description: string };
    expect(client.description).toContain('inference-service gateway');
  });

  it('type-check a program that imports them by name, against their declarations', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          lib: ['es2024', 'dom', 'dom.iterable'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
        },
        files: ['consumer.ts'],
      }),
    );
    await expect(run('tsc', ['-p', 'tsconfig.json'], project)).resolves.toBe('');
  });

  it('run: the client passes two conformance scenarios, the components render', async () => {
    const scenario = (name: string) => loadScenarios().find((s) => s.name === name)!;
    const [sync, stream] = [scenario('sync-call'), scenario('stream')];
    const output = await run(
      'node',
      [
        'consumer.ts',
        environment.controlUrl,
        JSON.stringify(sync.request),
        JSON.stringify(stream.request),
      ],
      project,
    );
    const got = JSON.parse(output) as Record<string, unknown>;
    expect(got['sync']).toEqual(sync.expect);
    expect(got['stream']).toEqual(stream.expect);
    expect(got['errorCodes']).toBeGreaterThan(10);
    expect(got['voiceMic']).toContain('data-phase="idle"');
    expect(got['voiceMic']).toMatch(/<button[^>]*>/);
    expect(got['xrFeed']).toContain('enis-xr-feed');
  });
});
