// The Python SDK (sdk/python, sync and asyncio) through every conformance scenario: pytest in
// the tests' venv, against the harness started here. A failing scenario fails this test.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startEnvironment, type Environment } from './harness/environment.ts';
import { runToEnd } from './harness/run.ts';

const root = join(import.meta.dirname, '../..');
let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment(inject('redisUrl'));
});

afterAll(async () => {
  await environment.stop();
});

it('passes every scenario with the sync and the asyncio client, and its unit tests', async () => {
  const run = await runToEnd(
    spawn(
      join(root, '.tmp/venv/bin/python'),
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'sdk/python/tests'],
      {
        cwd: root,
        env: { ...process.env, ENIS_CONFORMANCE_URL: environment.controlUrl },
      },
    ),
  );
  expect(run.output).toMatch(/ passed/);
  expect(run.code, run.output).toBe(0);
}, 120_000);
