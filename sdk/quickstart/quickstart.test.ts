// The quickstarts of docs/sdks.md (curl, TypeScript, Python, Go), timed: the dataplane as
// `make run` starts it (embedded defaults, the local SmolLM2, a development overlay of its own)
// until it prints its token, plus each quickstart from its start to its first streamed chunk.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tests/batch/support.ts';

const root = join(import.meta.dirname, '../..');
const FIVE_MINUTES = 5 * 60_000;

let dataplane: ChildProcess;
let devDir: string;
let readyMs: number;
let url: string;
let token: string;

beforeAll(async () => {
  devDir = await mkdtemp(join(tmpdir(), 'quickstart-dev-'));
  const startedAt = Date.now();
  dataplane = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DEV_DIR: devDir,
      CONFIG_DIR: undefined,
      REDIS_URL: undefined,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dataplane.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dataplane.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  [url, token] = await waitFor(
    'make run to print its address and token',
    () => {
      if (dataplane.exitCode !== null) throw new Error(`The dataplane exited:\n${output}`);
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const printed = /export TOKEN=(\S+)/.exec(output)?.[1];
      return listening && printed ? ([listening, printed] as const) : undefined;
    },
    FIVE_MINUTES,
  );
  readyMs = Date.now() - startedAt;
}, FIVE_MINUTES);

afterAll(async () => {
  dataplane.kill('SIGTERM');
  await rm(devDir, { recursive: true, force: true });
});

/** Runs a quickstart: how long after its start its first chunk came, and all it printed. */
function runQuickstart(command: string, args: string[], cwd = root, marker = /\S/) {
  return new Promise<{ firstChunkMs: number; code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        ENIS_URL: url,
        TOKEN: token,
        GOCACHE: join(root, '.tmp/go-cache'),
        GOFLAGS: '-buildvcs=false',
        GOPROXY: 'off',
      },
    });
    const spawnedAt = Date.now();
    let output = '';
    let firstChunkMs = Number.NaN;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (Number.isNaN(firstChunkMs) && marker.test(output)) firstChunkMs = Date.now() - spawnedAt;
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      resolve({ firstChunkMs, code, output });
    });
  });
}

describe('the quickstarts', () => {
  it.each([
    ['curl', 'bash', ['sdk/quickstart/quickstart.sh'], root, /event: data/],
    ['TypeScript', process.execPath, ['sdk/quickstart/quickstart.ts'], root, /\S/],
    ['Python', join(root, '.tmp/venv/bin/python'), ['sdk/quickstart/quickstart.py'], root, /\S/],
    ['Go', 'go', ['run', './cmd/quickstart'], join(root, 'sdk/go'), /\S/],
  ] as const)(
    'stream a first answer with %s within five minutes of make run',
    async (name, command, args, cwd, marker) => {
      const run = await runQuickstart(command, [...args], cwd, marker);
      expect(run.code, run.output).toBe(0);
      expect(readyMs + run.firstChunkMs, run.output).toBeLessThan(FIVE_MINUTES);
      console.info(
        `quickstart ${name}: make run ready in ${readyMs} ms, first chunk ${run.firstChunkMs} ms later`,
      );
    },
    FIVE_MINUTES,
  );
});
