/**
 * The agent harness (docs/agents.md): a real dataplane (buildApp, listening on a loopback port)
 * with real Redis, the OpenAI and Anthropic fakes as upstreams, and one profile per agent type.
 * A scripted agent is a token with the agent-type claim; what reached an upstream is read back
 * as the exact bytes the gateway sent, metrics from /metrics and receipts from the audit export.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis } from '../cluster/harness.ts';
import { createAnthropicFake } from '../fakes/anthropic-fake.ts';
import type { FakeServer, RecordedRequest } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { receiptFor } from '../audit/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

export const TENANT = 'nops';
const credentials = { secretKeyRef: { name: 'provider', key: 'api-key' } };

/** The profiles of docs/agents.md's worked examples. */
export const profiles = {
  support: {
    models: ['support-chat'],
    fields: ['temperature', 'max_tokens', 'stop'],
    pii: { default: 'off', kinds: { email: 'redact', phone: 'redact', credit_card: 'block' } },
    maxContextTokens: 2000,
    maxOutputTokens: 512,
    egress: { providers: ['openai'], hosts: ['127.0.0.1'] },
  },
  coding: {
    models: ['coding'],
    mcpTools: ['repo__echo'],
    fields: ['temperature', 'max_tokens', 'tools', 'tool_choice'],
    pii: { kinds: { api_key: 'redact', private_key: 'block', secret: 'redact' } },
    maxOutputTokens: 4096,
    egress: { providers: ['anthropic'] },
  },
  analytics: {
    models: ['analytics', 'analytics-embed'],
    fields: ['temperature', 'max_tokens', 'response_format', 'seed'],
    pii: { default: 'redact' },
    maxContextTokens: 200,
    egress: { providers: ['openai'], hosts: ['127.0.0.1', 'localhost'] },
  },
  voice: {
    models: ['voice', 'voice-hosted'],
    fields: ['max_tokens'],
    pii: { kinds: { credit_card: 'block', iban: 'block' } },
    maxOutputTokens: 128,
    egress: {},
  },
};

export interface Harness {
  app: FastifyInstance;
  base: string;
  config: ConfigDir;
  openai: FakeServer;
  anthropic: FakeServer;
  /** The upstream requests since the last `reset`, across both fakes. */
  upstream(): RecordedRequest[];
  reset(): void;
  /** A token of agent type `type` (none: a caller that is no agent). */
  token(type?: string, scopes?: string[]): Promise<string>;
  /** POSTs JSON as an agent: the status, headers and parsed body (or the raw text of a stream). */
  post(
    path: string,
    body: unknown,
    options: { agent?: string; requestId: string },
  ): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
  receipt(requestId: string): Promise<Record<string, unknown>>;
  /** The value of a metric series on /metrics (its exact name and labels), 0 when absent. */
  metric(series: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the harness; `gateway` is merged into gateway.yaml, `files` are further contract files
 * (an `mcp.yaml`) written before the app starts.
 */
export async function startHarness(
  gateway: object = {},
  files: Record<string, object> = {},
): Promise<Harness> {
  const [openai, anthropic, redisServer] = await Promise.all([
    createOpenAIFake(),
    createAnthropicFake(),
    startRedis(),
  ]);
  const redis = new Redis(redisServer.url);
  const config = await makeConfigDir({
    prompts: false,
    gateway: {
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
      defaultModel: 'support-chat',
      agents: { profiles },
      ...gateway,
    },
    routes: routesFor(openai, anthropic),
  });
  await config.write('credentials/provider__api-key', 'sk-test');
  for (const [path, content] of Object.entries(files)) await config.write(path, content);
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = (type?: string, scopes?: string[]) =>
    config.token({
      tenant: TENANT,
      sub: type === undefined ? 'person' : `${type}-agent-1`,
      ...(scopes === undefined ? {} : { scopes }),
      ...(type === undefined ? {} : { extra: { agent_type: type } }),
    });
  return {
    app,
    base,
    config,
    openai,
    anthropic,
    upstream: () => [...openai.requests, ...anthropic.requests],
    reset: () => {
      openai.reset();
      anthropic.reset();
    },
    token,
    async post(path, body, options) {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token(options.agent)}`,
          'content-type': 'application/json',
          'x-request-id': options.requestId,
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const json = response.headers.get('content-type')?.includes('json')
        ? (JSON.parse(text) as unknown)
        : undefined;
      return { status: response.status, headers: response.headers, json, text };
    },
    receipt: (requestId) => receiptFor(app, config, TENANT, requestId),
    async metric(series) {
      const response = await app.inject({ url: '/metrics' });
      const line = response.body.split('\n').find((each) => each.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    },
    async stop() {
      await app.close();
      await redis.quit();
      await Promise.all([openai.stop(), anthropic.stop(), redisServer.stop()]);
      await config.cleanup();
    },
  };
}

/**
 * One route per agent type. `analytics` starts with a public target its profile may not reach
 * (never dialled: the profile keeps it out), `voice` with one outside the cluster (kept out
 * when air-gapped) before an in-process mock.
 */
function routesFor(openai: FakeServer, anthropic: FakeServer) {
  const fakeOpenAI = (name: string, model: string) => ({
    name,
    provider: 'openai',
    model,
    baseURL: `${openai.url}/v1`,
    credentials,
  });
  return {
    routes: [
      { alias: 'support-chat', targets: [fakeOpenAI('gpt', 'gpt-support')] },
      {
        alias: 'coding',
        targets: [
          {
            name: 'claude',
            provider: 'anthropic',
            model: 'claude-coder',
            baseURL: anthropic.url,
            credentials,
          },
        ],
      },
      {
        alias: 'analytics',
        targets: [
          {
            name: 'public',
            provider: 'openai',
            model: 'gpt-public',
            baseURL: 'https://api.example.com/v1',
            credentials,
          },
          fakeOpenAI('local-gpt', 'gpt-analytics'),
        ],
        retry: { maxAttempts: 1 },
      },
      { alias: 'analytics-embed', targets: [fakeOpenAI('ada', 'embed-analytics')] },
      {
        alias: 'voice',
        targets: [
          {
            name: 'hosted',
            provider: 'openai',
            model: 'gpt-voice',
            baseURL: 'https://api.openai.com/v1',
            credentials,
          },
          { name: 'in-cluster', provider: 'mock', model: 'echo' },
        ],
        retry: { maxAttempts: 1 },
      },
      {
        alias: 'voice-hosted',
        targets: [
          {
            name: 'hosted',
            provider: 'openai',
            model: 'gpt-voice',
            baseURL: 'https://api.openai.com/v1',
            credentials,
          },
        ],
      },
      // A route no profile lists: every agent is refused it.
      { alias: 'general', targets: [fakeOpenAI('gpt-general', 'gpt-general')] },
    ],
  };
}
