/**
 * `n` choices that do not all succeed: one choice failing mid-stream ends the stream with its
 * error, and a choice refused before it began refuses the whole request; either way every
 * choice's request is finished (its slot released), so the gateway keeps serving.
 */
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

let config: ConfigDir;
let app: FastifyInstance;
let client: OpenAI;

beforeAll(async () => {
  config = await makeConfigDir({
    gateway: { defaultModel: 'chat', limits: { maxConcurrent: 2, queueTimeoutMs: 200 } },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'breaks',
          targets: [{ name: 'echo', provider: 'mock', model: 'echo?failAfter=2&gapMs=5' }],
          retry: { maxAttempts: 1 },
        },
      ],
    },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

const messages = [{ role: 'user' as const, content: 'one two three four' }];

describe('n choices that do not all succeed', () => {
  it('end the stream with the error of the choice that failed', async () => {
    const stream = await client.chat.completions.create({
      model: 'breaks',
      n: 2,
      messages,
      stream: true,
    });
    const seen: unknown[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((error: unknown) => error);
    expect(seen.length).toBeGreaterThan(2);
    expect(failure).toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE' } });
  });

  it('refuse the request when a choice cannot be admitted, and leave no slot taken', async () => {
    // Two slots: a third choice waits past the queue timeout and is refused.
    const failure = await client.chat.completions
      .create({ model: 'chat', n: 3, messages, stream: true })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 503 });
    const after = await client.chat.completions.create({ model: 'chat', n: 2, messages });
    expect(after.choices).toHaveLength(2);
  });
});
