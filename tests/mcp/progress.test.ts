/**
 * Progress and cancellation of a long tool call through the gateway: the upstream's progress
 * comes back on the call's SSE stream under the caller's progressToken, and the caller's
 * `notifications/cancelled` (sent to the other replica, which shares the Redis) or its leaving
 * cancels the call upstream.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { exportText, receiptsOf } from '../audit/support.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { eventually } from '../support/eventually.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let redisServer: RedisServer;
let config: ConfigDir;
let upstream: Upstream;
const replicas: { app: FastifyInstance; base: string; redis: Redis }[] = [];

beforeAll(async () => {
  [redisServer, upstream, config] = await Promise.all([
    startRedis(),
    startUpstream('alpha'),
    makeConfigDir(),
  ]);
  await config.write('mcp.yaml', {
    enabled: true,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo', 'slow'] }],
        },
      },
    ],
  });
  for (let i = 0; i < 2; i++) {
    const redis = new Redis(redisServer.url);
    const app = await buildApp({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
      redis,
    });
    replicas.push({ app, base: await app.listen({ host: '127.0.0.1', port: 0 }), redis });
  }
});

afterAll(async () => {
  for (const replica of replicas) {
    await replica.app.close();
    replica.redis.disconnect();
  }
  await Promise.all([upstream.close(), redisServer.stop(), config.cleanup()]);
});

/**
 * An SDK client of replica 0 whose `notifications/cancelled` goes to replica 1; it records the
 * content type of each answer to a tools/call.
 */
async function caller() {
  const token = await config.token({ scopes: ['mcp:invoke'] });
  const callAnswers: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0]!.base}/mcp/tools`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: async (url, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      const target = body.includes('notifications/cancelled')
        ? String(url).replace(replicas[0]!.base, replicas[1]!.base)
        : url;
      const response = await fetch(target, init);
      if (body.includes('tools/call')) callAnswers.push(response.headers.get('content-type') ?? '');
      return response;
    },
  });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, callAnswers, token };
}

const receiptOf = async (tool: string, outcome: string) =>
  receiptsOf(await exportText(replicas[0]!.app, config, 'acme')).find(
    (r) =>
      r['kind'] === 'tool' &&
      r['outcome'] === outcome &&
      (r['mcp'] as { tool: string }).tool === tool,
  );

const slowCall = (id: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'alpha__slow', arguments: { steps: 100 }, _meta: { progressToken: id } },
});

/** A raw POST of one message in a session, to replica `replica`. */
const postTo = (
  replica: number,
  token: string,
  session: string,
  body: object,
  signal?: AbortSignal,
) =>
  fetch(`${replicas[replica]!.base}/mcp/tools`, {
    method: 'POST',
    ...(signal === undefined ? {} : { signal }),
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': session,
    },
    body: JSON.stringify(body),
  });

describe('a long tool call', () => {
  it("streams the upstream's progress under the caller's token, then its result", async () => {
    const { client, callAnswers } = await caller();
    const seen: Progress[] = [];
    const result = await client.callTool(
      { name: 'alpha__slow', arguments: { steps: 4 } },
      undefined,
      {
        onprogress: (progress) => seen.push(progress),
      },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 4' }]);
    expect(seen).toEqual(
      [1, 2, 3, 4].map((step) => ({ progress: step, total: 4, message: `step ${step}` })),
    );
    expect(callAnswers).toEqual(['text/event-stream']);
    await client.close();
  });

  it('is answered as JSON when the caller asked for no progress', async () => {
    const { client, callAnswers } = await caller();
    await client.callTool({ name: 'alpha__slow', arguments: { steps: 1 } });
    expect(callAnswers).toEqual(['application/json']);
    await client.close();
  });

  it("is cancelled upstream by the SDK caller's abort, its notification sent to another replica", async () => {
    const { client } = await caller();
    const before = upstream.cancelled.length;
    const cancel = new AbortController();
    const call = client.callTool({ name: 'alpha__slow', arguments: { steps: 100 } }, undefined, {
      signal: cancel.signal,
      onprogress: (progress) => {
        if (progress.progress === 2) cancel.abort('enough');
      },
    });
    await expect(call).rejects.toThrow();
    const cancelled = await eventually(async () => upstream.cancelled[before]);
    // Cancelled soon after step 2, long before step 100.
    expect(cancelled.step).toBeLessThan(10);
    expect(await eventually(() => receiptOf('slow', 'cancelled'))).toMatchObject({
      mcp: { gateway: 'tools', server: 'alpha', tool: 'slow' },
    });
    await client.close();
  });

  it('is cancelled by a notification alone, while its stream on the other replica stays open', async () => {
    const { client, transport, token } = await caller();
    const before = upstream.cancelled.length;
    const reader = (
      await postTo(0, token, transport.sessionId!, slowCall('kept'))
    ).body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(
      'notifications/progress',
    );
    const cancel = await postTo(1, token, transport.sessionId!, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'kept', reason: 'changed my mind' },
    });
    expect(cancel.status).toBe(202);
    const cancelled = await eventually(async () => upstream.cancelled[before]);
    expect(cancelled).toMatchObject({ reason: 'changed my mind' });
    expect(cancelled.step).toBeLessThan(10);
    await reader.cancel();
    await client.close();
  });

  it('is cancelled upstream when the caller leaves mid-call', async () => {
    const { client, transport, token } = await caller();
    const before = upstream.cancelled.length;
    const leave = new AbortController();
    const response = await postTo(
      0,
      token,
      transport.sessionId!,
      slowCall('leaving'),
      leave.signal,
    );
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(
      'notifications/progress',
    );
    leave.abort();
    const cancelled = await eventually(async () => upstream.cancelled[before]);
    expect(cancelled.step).toBeLessThan(10);
    await client.close();
  });
});
