/**
 * docs/providers.md's table of `seed`, `response_format` and `logprobs` per provider, read from
 * the doc and checked against what each provider does through the gateway: a parameter the
 * table says is passed on reaches the provider's fake as sent; one it says is refused is an
 * UPSTREAM_BAD_REQUEST naming it; one honoured or enforced is answered (with tokens'
 * log-probabilities, for `logprobs`, whether passed on or honoured).
 */
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import { createAnthropicFake } from '../fakes/anthropic-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

type Expectation = 'passed' | 'refused' | 'answered';

/** The table's rows: each provider it names, and what it says of each parameter. */
function table(): {
  provider: string;
  seed: Expectation;
  json: Expectation;
  logprobs: Expectation;
}[] {
  const doc = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');
  const start = doc.indexOf('| provider | `seed` | `response_format` | `logprobs` |');
  expect(start, 'the table is in docs/providers.md').toBeGreaterThan(0);
  const rows = doc.slice(start).split('\n').slice(2);
  const end = rows.findIndex((row) => !row.startsWith('|'));
  const read = (cell: string): Expectation =>
    /passed on/.test(cell) ? 'passed' : /^[^(]*refused/.test(cell) ? 'refused' : 'answered';
  return rows.slice(0, end).flatMap((row) => {
    const [names = '', seed = '', json = '', logprobs = ''] = row
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    return names.split(', ').map((provider) => ({
      provider,
      seed: read(seed),
      json: read(json),
      logprobs: read(logprobs),
    }));
  });
}

let openai: FakeServer;
let groq: FakeServer;
let anthropic: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let token: string;

/** The route of each name the table uses, and the fake that sees its calls (if any). */
const routes = () => ({
  openai: {
    provider: 'openai',
    model: 'gpt-fake',
    baseURL: `${openai.url}/v1`,
    fake: openai,
    path: '/v1/chat/completions',
  },
  groq: {
    provider: 'groq',
    model: 'groq-fake',
    baseURL: groq.url,
    fake: groq,
    path: '/openai/v1/chat/completions',
  },
  'openai-compatible': {
    provider: 'openai-compatible',
    model: 'vllm-fake',
    baseURL: `${openai.url}/v1`,
    fake: openai,
    path: '/v1/chat/completions',
  },
  anthropic: {
    provider: 'anthropic',
    model: 'claude-fake',
    baseURL: anthropic.url,
    fake: anthropic,
    path: '/v1/messages',
  },
  'local on llama.cpp (GGUF)': {
    provider: 'local',
    model: cachedModel('smollm2-135m-instruct').id,
  },
  'local on ONNX': { provider: 'local', model: 'tiny' },
  mock: { provider: 'mock', model: 'echo' },
});
const aliasOf = (name: string) => name.replace(/[^a-z]+/g, '-').replace(/-$/, '');

beforeAll(async () => {
  [openai, groq, anthropic] = await Promise.all([
    createOpenAIFake(),
    createOpenAIFake({ name: 'groq', prefix: '/openai/v1', groq: true }),
    createAnthropicFake(),
  ]);
  config = await makeConfigDir({
    gateway: { defaultModel: 'mock', safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    routes: {
      routes: Object.entries(routes()).map(([name, { provider, model, ...rest }]) => ({
        alias: aliasOf(name),
        retry: { maxAttempts: 1 },
        targets: [
          {
            name: 'only',
            provider,
            model,
            ...('baseURL' in rest
              ? { baseURL: rest.baseURL, credentials: { secretKeyRef: { name: 'keys', key: 'k' } } }
              : {}),
          },
        ],
      })),
    },
  });
  await config.write('credentials/keys__k', 'key-test');
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await Promise.all([openai.stop(), groq.stop(), anthropic.stop(), config.cleanup()]);
});

describe("docs/providers.md's parameter table", () => {
  const rows = table();

  it('names every provider kind', () => {
    expect(rows.map((row) => row.provider).sort()).toEqual(Object.keys(routes()).sort());
  });

  it.each(rows)('is true of $provider', { timeout: 60_000 }, async (row) => {
    const { provider, seed, json, logprobs } = row;
    const route = routes()[provider as keyof ReturnType<typeof routes>];
    for (const [parameter, expectation, extra] of [
      ['seed', seed, { seed: 7, temperature: 0.5 }],
      ['response_format', json, { response_format: { type: 'json_object' } }],
      ['logprobs', logprobs, { logprobs: true, top_logprobs: 2 }],
    ] as const) {
      if ('fake' in route) route.fake.reset();
      const response = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${token}` },
        payload: {
          model: aliasOf(provider),
          max_tokens: 16,
          messages: [{ role: 'user', content: 'Answer with a JSON object.' }],
          ...extra,
        },
      });
      const what = `${provider} ${parameter}`;
      if (expectation === 'refused') {
        expect(response.statusCode, what).toBe(400);
        expect(response.json(), what).toMatchObject({
          error: { code: 'UPSTREAM_BAD_REQUEST', param: parameter },
        });
        if ('fake' in route) expect(route.fake.seen(route.path), what).toHaveLength(0);
        continue;
      }
      expect(response.statusCode, `${what}: ${response.body}`).toBe(200);
      if (parameter === 'logprobs') {
        const { choices } = response.json<{ choices: { logprobs: { content: unknown[] } }[] }>();
        expect(choices[0]?.logprobs.content.length, what).toBeGreaterThan(0);
      }
      if (expectation === 'passed' && 'fake' in route) {
        const [sent] = route.fake.seen(route.path);
        expect(sent?.body, what).toMatchObject(extra);
      }
    }
  });
});
