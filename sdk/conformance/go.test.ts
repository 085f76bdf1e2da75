// The Go SDK (sdk/go) through every conformance scenario: `go test` (its build cached under
// .tmp/go-cache), against the harness started here. A failing scenario fails this test.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startEnvironment, type Environment } from './harness/environment.ts';
import { runToEnd } from './harness/run.ts';
import { loadScenarios } from './harness/scenarios.ts';

const root = join(import.meta.dirname, '../..');
let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment(inject('redisUrl'));
});

afterAll(async () => {
  await environment.stop();
});

it('passes every scenario, and its unit tests', async () => {
  const run = await runToEnd(
    spawn('go', ['test', '-count=1', '-v', './...'], {
      cwd: join(root, 'sdk/go'),
      env: {
        ...process.env,
        ENIS_CONFORMANCE_URL: environment.controlUrl,
        GOCACHE: join(root, '.tmp/go-cache'),
        GOFLAGS: '-buildvcs=false',
        // The module has no dependency: nothing is fetched.
        GOPROXY: 'off',
      },
    }),
  );
  expect(run.code, run.output).toBe(0);
  const passed = run.output.match(/--- PASS: TestConformance\//g) ?? [];
  expect(passed).toHaveLength(loadScenarios().length);
}, 180_000);
