/**
 * safety.piiOutput per kind and per tenant, through the official OpenAI client against a
 * provider fake: a kind left as written, a kind redacted, a kind that ends the answer with
 * CONTENT_BLOCKED (whole or streamed, nothing of it sent), a tenant with a policy of its own,
 * and the audit receipt's resolved output policy.
 */
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { chatCompletion, chatStream, createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const CHAT = '/v1/chat/completions';
const IBAN = 'ES91 2100 0418 4502 0005 1332';
const ANSWER = ['Mail ', 'jane@example.com ', 'from ', '192.168.1.10.'];
let fake: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let base: string;

const clientFor = async (tenant: string) =>
  new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token({ tenant }), maxRetries: 0 });
const ask = async (tenant: string) =>
  (await clientFor(tenant)).chat.completions.create({
    model: 'gpt',
    messages: [{ role: 'user', content: 'hi' }],
  });

beforeAll(async () => {
  fake = await createOpenAIFake();
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'gpt',
      safety: {
        sanitize: false,
        pii: 'off',
        piiOutput: {
          default: 'redact',
          kinds: { ipv4: 'off', iban: 'block' },
          tenants: { lab: { default: 'off' } },
        },
      },
    },
    routes: {
      routes: [
        {
          alias: 'gpt',
          targets: [
            {
              name: 'gpt-fake',
              provider: 'openai',
              model: 'gpt-fake',
              baseURL: `${fake.url}/v1`,
              credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
            },
          ],
          retry: { maxAttempts: 1 },
        },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-test');
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await fake.stop();
  await config.cleanup();
});

beforeEach(() => {
  fake.reset();
});

describe('the output PII policy per kind', () => {
  it('redacts a redact kind and leaves an off kind as the provider wrote it', async () => {
    fake.script(CHAT, chatCompletion(ANSWER));
    const answer = await ask('acme');
    expect(answer.choices[0]?.message.content).toBe('Mail [REDACTED:email] from 192.168.1.10.');
  });

  it('refuses a whole answer that holds a block kind, naming the kind, never the value', async () => {
    fake.script(CHAT, chatCompletion(['Pay to ', IBAN, ' today.']));
    const refusal = await ask('acme').then(
      () => undefined,
      (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
    );
    expect(refusal?.status).toBe(422);
    expect(refusal?.error).toMatchObject({
      code: 'CONTENT_BLOCKED',
      details: { reason: 'pii', kinds: ['iban'] },
    });
    expect(JSON.stringify(refusal?.error)).not.toContain('ES91');
  });

  it('ends a streamed answer with the refusal where the block kind appears', async () => {
    fake.script(CHAT, chatStream(['Hello there,\n', 'pay to ', IBAN, '\nthen ', 'more.']));
    const stream = await (
      await clientFor('acme')
    ).chat.completions.create({
      model: 'gpt',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    const ended = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })();
    await expect(ended).rejects.toThrow(/iban/);
    expect(text).not.toContain('ES91');
    expect(text).not.toContain('more');
  });

  it("refuses the provider's tool call whose arguments hold a block kind", async () => {
    const toolCalls = [{ id: 'call_1', name: 'pay', arguments: [`{"to":"${IBAN}"}`] }];
    fake.script(CHAT, chatCompletion([], { toolCalls }));
    const refusal = await (
      await clientFor('acme')
    ).chat.completions
      .create({
        model: 'gpt',
        tools: [{ type: 'function', function: { name: 'pay', parameters: { type: 'object' } } }],
        messages: [{ role: 'user', content: 'pay' }],
      })
      .then(
        () => undefined,
        (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
      );
    expect(refusal?.status).toBe(422);
    expect(refusal?.error).toMatchObject({ details: { reason: 'pii', kinds: ['iban'] } });
  });

  it("applies a tenant's own policy: off for every kind", async () => {
    fake.script(CHAT, chatCompletion(['Pay to ', IBAN, ' or jane@example.com.']));
    const answer = await ask('lab');
    expect(answer.choices[0]?.message.content).toBe(`Pay to ${IBAN} or jane@example.com.`);
  });
});
