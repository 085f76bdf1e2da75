/** scripts/prompts.ts run as `make prompts-validate` runs it: a real process in a real git repo. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSpec, manifestYaml } from '../../../crds/prompts/fixtures.ts';

const SCRIPT = join(import.meta.dirname, '../../../scripts/prompts.ts');
const STALE = `sha256:${'0'.repeat(64)}`;
let repo: string;

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: repo, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function git(...args: string[]): void {
  const result = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

function write(name: string, text: string): void {
  writeFileSync(join(repo, name), text);
}

const greet = makeSpec();

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'prompts-cli-'));
  git('init', '--quiet');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  write('greet.yaml', manifestYaml(greet));
  git('add', '.');
  git('commit', '--quiet', '-m', 'greet 1.0.0');
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('node scripts/prompts.ts validate', () => {
  it('passes valid manifests, naming each prompt', () => {
    expect(run('validate', 'greet.yaml')).toEqual({
      status: 0,
      stdout: 'ok greet.yaml  greet@1.0.0\n',
      stderr: '',
    });
  });

  it('fails a stale checksum, saying what was expected and what was declared', () => {
    write('stale.yaml', manifestYaml({ ...greet, checksum: STALE }));
    const result = run('validate', 'greet.yaml', 'stale.yaml');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `stale.yaml: spec.checksum does not match the spec: expected ${greet.checksum}`,
    );
  });

  it('fails two files that declare one id and version', () => {
    write('twin.yaml', manifestYaml(greet, 'greet-twin'));
    const result = run('validate', 'greet.yaml', 'twin.yaml');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'twin.yaml: spec.version declares greet@1.0.0, as greet.yaml already does',
    );
  });

  it('fails a file that does not exist', () => {
    expect(run('validate', 'missing.yaml').status).toBe(1);
  });
});

describe('node scripts/prompts.ts checksum', () => {
  it('prints the checksum each file should carry', () => {
    write('stale.yaml', manifestYaml({ ...greet, checksum: STALE }));
    expect(run('checksum', 'stale.yaml')).toMatchObject({
      status: 0,
      stdout: `${greet.checksum}  stale.yaml\n`,
    });
  });

  it('writes the checksum with --write, after which the file validates', () => {
    write('stale.yaml', manifestYaml({ ...greet, checksum: STALE }));
    expect(run('checksum', '--write', 'stale.yaml').stdout).toContain('wrote     stale.yaml');
    expect(run('validate', 'stale.yaml').status).toBe(0);
    expect(run('checksum', '--write', 'stale.yaml').stdout).toBe('unchanged stale.yaml\n');
  });

  it('refuses to write a checksum onto an otherwise invalid manifest', () => {
    const text = manifestYaml({ ...greet, slices: [{ name: 's', role: 'robot', text: 'x' }] });
    write('invalid.yaml', text);
    const result = run('checksum', '--write', 'invalid.yaml');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('spec.slices[0].role must be one of');
    expect(readFileSync(join(repo, 'invalid.yaml'), 'utf8')).toBe(text);
  });
});

describe('node scripts/prompts.ts breaking', () => {
  it('passes a file that is unchanged or new since the base', () => {
    write('greet.yaml', manifestYaml(greet));
    write('new.yaml', manifestYaml(makeSpec({ id: 'new' })));
    const result = run('breaking', '--base', 'HEAD', 'greet.yaml', 'new.yaml');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ok greet.yaml  greet@1.0.0 -> greet@1.0.0');
    expect(result.stdout).toContain('new new.yaml (absent at HEAD)');
  });

  it('fails a breaking change without a major bump, naming the change and the next major', () => {
    const variables = { ...greet.variables, required: ['name', 'title'] };
    write('greet.yaml', manifestYaml(makeSpec({ version: '1.1.0', variables })));
    const result = run('breaking', '--base', 'HEAD', 'greet.yaml');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'greet.yaml: breaking changes without a major version bump (greet@1.0.0 -> greet@1.1.0; ' +
        'the next major is 2.0.0):\n  - variables.title is now required\n',
    );
  });

  it('passes the same change once the major version is bumped', () => {
    const variables = { ...greet.variables, required: ['name', 'title'] };
    write('greet.yaml', manifestYaml(makeSpec({ version: '2.0.0', variables })));
    const result = run('breaking', '--base', 'HEAD', 'greet.yaml');
    expect(result).toMatchObject({
      status: 0,
      stdout: 'ok greet.yaml  greet@1.0.0 -> greet@2.0.0: breaking changes, announced\n',
    });
  });

  it('fails a head that does not validate', () => {
    write('greet.yaml', manifestYaml({ ...greet, checksum: STALE }));
    expect(run('breaking', '--base', 'HEAD', 'greet.yaml').status).toBe(1);
  });

  it('is a usage error without --base or with a revision git does not know', () => {
    expect(run('breaking', 'greet.yaml').status).toBe(2);
    const result = run('breaking', '--base', 'no-such-rev', 'greet.yaml');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no-such-rev is not a git revision here');
  });
});

describe('node scripts/prompts.ts usage', () => {
  it.each([[[]], [['frobnicate', 'x.yaml']], [['validate']], [['validate', '--nope', 'x.yaml']]])(
    'exits 2 with the usage for %j',
    (args) => {
      const result = run(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('usage:');
    },
  );
});
