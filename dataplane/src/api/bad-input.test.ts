import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { ERROR_CODES } from '../core/error-codes.ts';
import { buildApp } from '../app.ts';

let config: ConfigDir;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  config = await makeConfigDir();
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

/** Bodies near the schemas (right keys, wrong or right values) and far from them (any JSON). */
const message = fc.record(
  {
    role: fc.oneof(
      fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'),
      fc.string(),
    ),
    content: fc.oneof(fc.string(), fc.jsonValue()),
    name: fc.string(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      model: fc.oneof(fc.constantFrom('chat', 'fallback', 'nope'), fc.jsonValue()),
      messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
      prompt: fc.oneof(
        fc.record(
          {
            id: fc.oneof(fc.constantFrom('summarize', 'x'), fc.string()),
            version: fc.string(),
            variables: fc.dictionary(fc.string(), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
      parameters: fc.dictionary(
        fc.constantFrom('temperature', 'top_p', 'max_tokens', 'stop', 'x'),
        fc.jsonValue(),
      ),
      stream: fc.boolean(),
      n: fc.jsonValue(),
      stop: fc.jsonValue(),
      resume_token: fc.string(),
    },
    { requiredKeys: [] },
  ),
);
const url = fc.constantFrom(
  '/api/v1/inference',
  '/api/v1/inference:stream',
  '/api/v1/inference:resume',
  '/v1/chat/completions',
);

describe('any request body', () => {
  it('gets a non-5xx answer, and errors come in the closed vocabulary', async () => {
    await fc.assert(
      fc.asyncProperty(url, body, async (path, payload) => {
        const response = await app.inject({
          method: 'POST',
          url: path,
          headers: {
            authorization: `Bearer ${token}`,
            'x-request-id': 'prop',
            'content-type': 'application/json',
          },
          payload: JSON.stringify(payload),
        });
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) {
          const { error } = response.json<{
            error: { code: string; retryable: boolean; message: string };
          }>();
          expect(ERROR_CODES).toContain(error.code);
          expect(typeof error.retryable).toBe('boolean');
          expect(error.message).not.toMatch(/\bat .+\.ts:\d+/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with a random content type gets a 4xx, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(url, fc.string(), fc.string(), async (path, type, payload) => {
        const response = await app.inject({
          method: 'POST',
          url: path,
          headers: {
            authorization: `Bearer ${token}`,
            'x-request-id': 'prop',
            'content-type': type || 'x/y',
          },
          payload,
        });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
