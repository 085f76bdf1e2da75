/**
 * Sandbox tenants (docs/sandbox.md) through the official OpenAI and Anthropic clients: a tenant
 * that gateway.yaml names under `sandbox.tenants` gets the mock provider's deterministic answers
 * on every alias, whole and streamed, on both wire formats, with `x-sandbox: true`, and no
 * provider fake hears of it; its metrics and receipts say so. Another tenant still reaches its
 * provider.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { createAnthropicFake } from '../fakes/anthropic-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { replay } from '../../scripts/audit-replay.ts';
import { receiptFor } from '../audit/support.ts';
import { parseSse } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const SANDBOX = 'playground';
let openaiFake: FakeServer;
let anthropicFake: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let base: string;

const credentials = { secretKeyRef: { name: 'provider', key: 'api-key' } };

beforeAll(async () => {
  [openaiFake, anthropicFake] = await Promise.all([createOpenAIFake(), createAnthropicFake()]);
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'gpt',
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
      sandbox: { tenants: [SANDBOX] },
    },
    routes: {
      routes: [
        {
          alias: 'gpt',
          targets: [
            {
              name: 'gpt',
              provider: 'openai',
              model: 'gpt-fake',
              baseURL: `${openaiFake.url}/v1`,
              credentials,
            },
          ],
          retry: { maxAttempts: 1 },
        },
        {
          alias: 'claude',
          targets: [
            {
              name: 'claude',
              provider: 'anthropic',
              model: 'claude-fake',
              baseURL: anthropicFake.url,
              credentials,
            },
          ],
          retry: { maxAttempts: 1 },
        },
        {
          alias: 'embed',
          targets: [
            {
              name: 'ada',
              provider: 'openai',
              model: 'embed-fake',
              baseURL: `${openaiFake.url}/v1`,
              credentials,
            },
          ],
        },
      ],
    },
  });
  // Its own budget, which the sandbox keeps (and charges nothing against).
  await config.write('budgets.yaml', {
    budgets: [{ tenant: SANDBOX, limits: { tokens: 1_000_000 } }],
  });
  await config.write('credentials/provider__api-key', 'sk-test');
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([openaiFake.stop(), anthropicFake.stop()]);
  await config.cleanup();
});

beforeEach(() => {
  openaiFake.reset();
  anthropicFake.reset();
});

async function openai(tenant: string): Promise<OpenAI> {
  return new OpenAI({
    baseURL: `${base}/v1`,
    apiKey: await config.token({ tenant }),
    maxRetries: 0,
  });
}

async function anthropic(tenant: string): Promise<Anthropic> {
  const apiKey = await config.token({ tenant });
  return new Anthropic({ baseURL: base, apiKey, maxRetries: 0 });
}

const noProviderHeard = () => {
  expect(openaiFake.requests).toEqual([]);
  expect(anthropicFake.requests).toEqual([]);
};

describe('a sandbox tenant', () => {
  it('gets the mock answer on an OpenAI route, whole, with x-sandbox, and no provider is called', async () => {
    const client = await openai(SANDBOX);
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'hello sandbox' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo: hello sandbox');
    expect(data.model).toBe('gpt');
    expect(response.headers.get('x-sandbox')).toBe('true');
    noProviderHeard();
  });

  it('gets the same answer streamed, chunk by chunk', async () => {
    const client = await openai(SANDBOX);
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'claude',
        stream: true,
        messages: [{ role: 'user', content: 'stream it please' }],
      })
      .withResponse();
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe('Echo: stream it please');
    expect(deltas.filter((delta) => delta !== '').length).toBeGreaterThan(2);
    expect(response.headers.get('x-sandbox')).toBe('true');
    noProviderHeard();
  });

  it('gets the mock answer through the Messages API, whole and streamed', async () => {
    const client = await anthropic(SANDBOX);
    const { data, response } = await client.messages
      .create({
        model: 'claude',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi claude' }],
      })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Echo: hi claude' }]);
    expect(response.headers.get('x-sandbox')).toBe('true');
    const stream = client.messages.stream({
      model: 'gpt',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream claude' }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Echo: stream claude' }]);
    noProviderHeard();
  });

  it('gets the mock answer on the Responses API and the native API too', async () => {
    const client = await openai(SANDBOX);
    const response = await client.responses.create({ model: 'claude', input: 'hello responses' });
    expect(response.output_text).toBe('Echo: hello responses');
    const native = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: SANDBOX })}`,
        'x-request-id': 'sandbox-native-1',
      },
      payload: { model: 'gpt', messages: [{ role: 'user', content: 'hello native' }] },
    });
    expect(native.headers['x-sandbox']).toBe('true');
    expect(native.json()).toMatchObject({
      model: 'gpt',
      output: { role: 'assistant', content: 'Echo: hello native' },
    });
    const streamed = await app.inject({
      method: 'POST',
      url: '/api/v1/inference:stream',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: SANDBOX })}`,
        'x-request-id': 'sandbox-native-2',
      },
      payload: { model: 'claude', messages: [{ role: 'user', content: 'stream native' }] },
    });
    expect(streamed.headers['x-sandbox']).toBe('true');
    const events = await parseSse(streamed.body);
    const text = events
      .filter((event) => event.event === 'data')
      .map((event) => (JSON.parse(event.data) as { text: string }).text)
      .join('');
    expect(text).toBe('Echo: stream native');
    expect(events.at(-1)?.event).toBe('done');
    noProviderHeard();
  });

  it('gets JSON valid against the schema it asks for', async () => {
    const client = await openai(SANDBOX);
    const schema = {
      type: 'object',
      properties: { verdict: { enum: ['yes', 'no'] }, reason: { type: 'string' } },
      required: ['verdict', 'reason'],
      additionalProperties: false,
    };
    const answer = await client.chat.completions.create({
      model: 'gpt',
      response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema } },
      messages: [{ role: 'user', content: 'is it sunny' }],
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({
      verdict: 'yes',
      reason: 'Echo: is it sunny',
    });
    noProviderHeard();
  });

  it('gets a tool call where it must call one, and text once the tool has answered', async () => {
    const client = await openai(SANDBOX);
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } },
            required: ['city', 'unit'],
          },
        },
      },
    ];
    const asked = { role: 'user' as const, content: 'Lisbon' };
    const first = await client.chat.completions.create({
      model: 'gpt',
      tools,
      tool_choice: 'required',
      messages: [asked],
    });
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Lisbon', unit: 'celsius' });
    const stream = await client.chat.completions.create({
      model: 'gpt',
      tools,
      tool_choice: 'required',
      stream: true,
      messages: [asked],
    });
    let streamed = '';
    for await (const chunk of stream)
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? [])
        streamed += delta.function?.arguments ?? '';
    expect(streamed).toBe(call.function.arguments);
    const second = await client.chat.completions.create({
      model: 'gpt',
      tools,
      messages: [
        asked,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('Echo: Lisbon');
    const claude = await anthropic(SANDBOX);
    const message = await claude.messages.create({
      model: 'claude',
      max_tokens: 64,
      tools: [
        {
          name: 'get_weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Porto' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toMatchObject([
      { type: 'tool_use', name: 'get_weather', input: { city: 'Porto' } },
    ]);
    noProviderHeard();
  });

  it('gets deterministic embeddings, the same vector for the same text', async () => {
    const client = await openai(SANDBOX);
    const first = await client.embeddings.create({ model: 'embed', input: ['tide', 'moon'] });
    const again = await client.embeddings.create({ model: 'embed', input: 'tide' });
    expect(first.data).toHaveLength(2);
    expect(again.data[0]?.embedding).toEqual(first.data[0]?.embedding);
    expect(first.data[0]?.embedding).not.toEqual(first.data[1]?.embedding);
    noProviderHeard();
  });

  it('is counted in metrics, and its receipt names the sandbox and the mock target and replays', async () => {
    const client = await openai(SANDBOX);
    await client.chat.completions.create(
      { model: 'gpt', messages: [{ role: 'user', content: 'for the record' }] },
      { headers: { 'x-request-id': 'sandbox-receipt-1' } },
    );
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      new RegExp(
        `inference_sandbox_requests_total\\{tenant="${SANDBOX}",surface="chat-completions"\\} [1-9]`,
      ),
    );
    const receipt = await receiptFor(app, config, SANDBOX, 'sandbox-receipt-1');
    expect(receipt).toMatchObject({
      outcome: 'served',
      model: 'gpt',
      sandbox: true,
      served: { target: 'sandbox', provider: 'mock', model: 'echo' },
      cost_usd: '0',
    });
    const decision = await app.inject({
      url: `/api/v1/audit/configs/${String(receipt['config'])}`,
      headers: { authorization: `Bearer ${await config.token({ tenant: 'auditor' })}` },
    });
    expect(replay(receipt, decision.json())).toMatchObject({
      ok: true,
      route: { chain: [{ target: 'sandbox', provider: 'mock', model: 'echo' }], ok: true },
      cost: { cost_usd: '0', ok: true },
    });
    expect(replay({ ...receipt, tenant: 'acme' }, decision.json()).ok).toBe(false);
    noProviderHeard();
  });
});

describe('a tenant outside the sandbox', () => {
  it('still reaches its provider, without x-sandbox', async () => {
    const client = await openai('acme');
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'real one' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('openai: real one');
    expect(response.headers.get('x-sandbox')).toBeNull();
    expect(openaiFake.requests).toHaveLength(1);
  });
});
