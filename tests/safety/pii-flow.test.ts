/**
 * The input and output PII policies wherever content flows through the gateway (docs/safety.md),
 * through the official OpenAI client against a provider fake: tool-call arguments and tool
 * results sent to the provider, the provider's own tool calls (whole and streamed), embeddings
 * input; a kind under `block` refused by name before any call, and counted (metrics, receipt)
 * like the rest.
 */
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { chatCompletion, chatStream, createOpenAIFake } from '../fakes/openai-fake.ts';
import { receiptFor } from '../audit/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const CHAT = '/v1/chat/completions';
const CARD = '4111 1111 1111 1111';
let fake: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let client: OpenAI;

beforeAll(async () => {
  fake = await createOpenAIFake();
  const target = (model: string) => ({
    name: model,
    provider: 'openai',
    model,
    baseURL: `${fake.url}/v1`,
    credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
  });
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'gpt',
      safety: {
        sanitize: false,
        pii: { default: 'redact', kinds: { credit_card: 'block' } },
        piiOutput: 'redact',
      },
    },
    routes: {
      routes: [
        { alias: 'gpt', targets: [target('gpt-fake')], retry: { maxAttempts: 1 } },
        { alias: 'embed', targets: [target('embed-fake')], retry: { maxAttempts: 1 } },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-test');
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await fake.stop();
  await config.cleanup();
});

beforeEach(() => {
  fake.reset();
});

const findings = async (kind: string): Promise<number> => {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text
    .split('\n')
    .find((each) => each.startsWith(`inference_safety_findings_total{kind="${kind}"}`));
  return Number(line?.split(' ').at(-1) ?? 0);
};

const blocked = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return (error as InstanceType<typeof OpenAI.APIError>).error as {
    code: string;
    message: string;
    details: unknown;
  };
};

describe('the input PII policy on tool calls and tool results', () => {
  it('sends the provider earlier tool-call arguments and tool results redacted, the arguments still JSON', async () => {
    await client.chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'user', content: 'mail the report' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'send', arguments: '{"to":"jane@example.com","copies":2}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'delivered to jane@example.com' },
      ],
    });
    const [sent] = fake.seen(CHAT);
    const messages = (sent?.body as { messages: Record<string, unknown>[] }).messages;
    const call = (messages[1]?.['tool_calls'] as { function: { arguments: string } }[])[0];
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual({
      to: '[REDACTED:email]',
      copies: 2,
    });
    expect(messages[2]?.['content']).toBe('delivered to [REDACTED:email]');
  });
});

describe("the output PII policy on the provider's tool calls", () => {
  const toolCalls = [{ id: 'call_9', name: 'send', arguments: ['{"to":"jane', '@example.com"}'] }];
  const tools = [
    {
      type: 'function' as const,
      function: { name: 'send', parameters: { type: 'object', properties: {} } },
    },
  ];

  it('redacts their arguments in a whole answer, and counts them as output findings', async () => {
    const before = await findings('output:pii:email');
    fake.script(CHAT, chatCompletion([], { toolCalls }));
    const answer = await client.chat.completions.create({
      model: 'gpt',
      tools,
      messages: [{ role: 'user', content: 'mail jane' }],
    });
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.arguments : '').toBe(
      '{"to":"[REDACTED:email]"}',
    );
    expect(await findings('output:pii:email')).toBe(before + 1);
  });

  it('redacts their arguments in a streamed answer', async () => {
    fake.script(CHAT, chatStream([], { toolCalls }));
    const stream = await client.chat.completions.create({
      model: 'gpt',
      tools,
      stream: true,
      messages: [{ role: 'user', content: 'mail jane' }],
    });
    let args = '';
    for await (const chunk of stream)
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        args += call.function?.arguments ?? '';
    expect(args).toBe('{"to":"[REDACTED:email]"}');
  });
});

describe('a PII kind under block', () => {
  it('refuses the chat request naming the kind, never the value, and counts it', async () => {
    const before = await findings('pii:credit_card');
    const error = await blocked(
      client.chat.completions.create(
        {
          model: 'gpt',
          messages: [{ role: 'user', content: `charge ${CARD} and mail jane@example.com` }],
        },
        { headers: { 'x-request-id': 'blocked-card-1' } },
      ),
    );
    expect(error.code).toBe('CONTENT_BLOCKED');
    expect(error.details).toEqual({ reason: 'pii', kinds: ['credit_card'] });
    expect(JSON.stringify(error)).not.toContain('4111');
    expect(fake.requests).toEqual([]);
    expect(await findings('pii:credit_card')).toBe(before + 1);
    expect(await receiptFor(app, config, 'acme', 'blocked-card-1')).toMatchObject({
      outcome: 'refused',
      error: { code: 'CONTENT_BLOCKED', refused_by: 'safety' },
      findings: { 'pii:credit_card': 1, 'pii:email': 1 },
      pii: { input: { default: 'redact', kinds: { credit_card: 'block' } }, output: 'redact' },
    });
  });

  it('refuses embeddings input holding it, and redacts the other kinds there', async () => {
    const error = await blocked(client.embeddings.create({ model: 'embed', input: [CARD] }));
    expect(error.details).toEqual({ reason: 'pii', kinds: ['credit_card'] });
    const emails = await findings('pii:email');
    await client.embeddings.create({ model: 'embed', input: ['write to jane@example.com'] });
    expect(fake.seen('/v1/embeddings')[0]?.body).toMatchObject({
      input: ['write to [REDACTED:email]'],
    });
    expect(await findings('pii:email')).toBe(emails + 1);
  });
});
