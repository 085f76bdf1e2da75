/**
 * Schemathesis (PyPI, installed by `make test` into .tmp/venv) generates requests from the
 * committed OpenAPI document and checks every answer: no server error, status codes, content
 * types and bodies that conform to the document.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const schemathesis = '.tmp/venv/bin/schemathesis';
let config: ConfigDir;
let app: FastifyInstance;
let base: string;
let redis: Redis;

beforeAll(async () => {
  config = await makeConfigDir();
  // With Redis, so that the batch routes are fuzzed for real rather than answering 503.
  redis = new Redis(inject('redisUrl'));
  app = await buildApp({ configDirs: [config.dir], redis, watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
  await redis.quit();
});

describe('the dataplane under schemathesis', () => {
  it(
    'answers every generated request without a server error and as its OpenAPI document says',
    { timeout: 600_000 },
    async () => {
      expect(existsSync(schemathesis), 'run `make test` (it installs schemathesis)').toBe(true);
      const args = [
        'run',
        'docs/openapi.yaml',
        '--url',
        base,
        '--header',
        `Authorization: Bearer ${await config.token()}`,
        '--header',
        'x-request-id: schemathesis',
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
        '--max-examples',
        '40',
        '--workers',
        '1',
        '--seed',
        '1',
        '--phases',
        'examples,coverage,fuzzing',
        // The voice routes need a speech-to-text sidecar this test does not start (their answer
        // without one is a 503 that says so); tests/voice runs them against a real one.
        '--exclude-path-regex',
        '^/api/v1/voice',
        '--suppress-health-check',
        'all',
        '--no-color',
      ];
      const result = await promisify(execFile)(schemathesis, args, {
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: unknown) => error as { stdout: string; stderr: string; code: number });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(output, output).not.toMatch(/FAILURES|Server error|Undocumented/);
      expect('code' in result ? result.code : 0, output).toBe(0);
    },
  );
});
