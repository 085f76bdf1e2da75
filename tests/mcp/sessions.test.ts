/**
 * MCP sessions across gateway replicas: two dataplanes share one real Redis; a session that
 * initialize opened on one continues on the other, with the upstream session the first one
 * opened; DELETE ends it everywhere, and upstream too; another caller cannot use it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let redisServer: RedisServer;
let redis: Redis;
let config: ConfigDir;
let upstream: Upstream;
const replicas: { app: FastifyInstance; base: string; redis: Redis }[] = [];

beforeAll(async () => {
  [redisServer, upstream, config] = await Promise.all([
    startRedis(),
    startUpstream('alpha'),
    makeConfigDir(),
  ]);
  redis = new Redis(redisServer.url);
  await config.write('mcp.yaml', {
    enabled: true,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo', 'add'] }],
        },
      },
    ],
  });
  for (let i = 0; i < 2; i++) {
    const own = new Redis(redisServer.url);
    const app = await buildApp({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
      redis: own,
    });
    replicas.push({ app, base: await app.listen({ host: '127.0.0.1', port: 0 }), redis: own });
  }
});

afterAll(async () => {
  for (const replica of replicas) {
    await replica.app.close();
    replica.redis.disconnect();
  }
  redis.disconnect();
  await Promise.all([upstream.close(), redisServer.stop(), config.cleanup()]);
});

/** An SDK client whose requests go to the replica `to.replica` names at the time of each. */
async function caller(to: { replica: number }, claims: { tenant?: string; sub?: string } = {}) {
  const token = await config.token({ scopes: ['mcp:invoke'], ...claims });
  const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0]!.base}/mcp/tools`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: (url, init) =>
      fetch(String(url).replace(replicas[0]!.base, replicas[to.replica]!.base), init),
  });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A raw POST of one JSON-RPC request, with the headers given. */
async function post(headers: Record<string, string>, replica = 0) {
  const token = await config.token({ scopes: ['mcp:invoke'] });
  return fetch(`${replicas[replica]!.base}/mcp/tools`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
  });
}

const sessionKey = (id: string) => `mcp:session:${id}`;

describe('an MCP session', () => {
  it('is issued at initialize and kept in Redis with what was negotiated', async () => {
    const { client, transport } = await caller({ replica: 0 });
    const id = transport.sessionId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const state = JSON.parse((await redis.hget(sessionKey(id), 'state'))!) as object;
    expect(state).toMatchObject({
      gateway: 'tools',
      tenant: 'acme',
      principal: 'tester',
      protocolVersion: LATEST_PROTOCOL_VERSION,
      clientInfo: { name: 'test-caller', version: '1.0.0' },
      clientCapabilities: {},
    });
    expect(await redis.pttl(sessionKey(id))).toBeGreaterThan(3_500_000);
    await client.close();
  });

  it('continues on the other replica, with the upstream session the first one opened', async () => {
    const to = { replica: 0 };
    const { client, transport } = await caller(to);
    const before = upstream.initialized.length;
    expect(
      (await client.callTool({ name: 'alpha__echo', arguments: { text: 'one' } })).content,
    ).toEqual([{ type: 'text', text: 'alpha: one' }]);
    expect(upstream.initialized).toHaveLength(before + 1);
    to.replica = 1;
    expect(
      (await client.callTool({ name: 'alpha__add', arguments: { a: 1, b: 2 } })).content,
    ).toEqual([{ type: 'text', text: '3' }]);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha__add',
      'alpha__echo',
    ]);
    // Replica 1 used the upstream session replica 0 opened: no second initialize upstream.
    expect(upstream.initialized).toHaveLength(before + 1);
    const held = JSON.parse(
      (await redis.hget(sessionKey(transport.sessionId!), 'upstream:alpha'))!,
    );
    expect(held).toEqual({
      sessionId: upstream.initialized.at(-1),
      protocolVersion: LATEST_PROTOCOL_VERSION,
    });
    await client.close();
  });

  it('initializes anew, once, with an upstream that forgot its session', async () => {
    const { client } = await caller({ replica: 0 });
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'before' } });
    const before = upstream.initialized.length;
    upstream.forget();
    const after = await client.callTool({ name: 'alpha__echo', arguments: { text: 'after' } });
    expect(after.content).toEqual([{ type: 'text', text: 'alpha: after' }]);
    expect(upstream.initialized).toHaveLength(before + 1);
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'again' } });
    expect(upstream.initialized).toHaveLength(before + 1);
    await client.close();
  });

  it('ends with DELETE on either replica, upstream too, and is then unknown', async () => {
    const to = { replica: 0 };
    const { client, transport } = await caller(to);
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } });
    const id = transport.sessionId!;
    const upstreamId = upstream.initialized.at(-1);
    to.replica = 1;
    await transport.terminateSession();
    expect(await redis.exists(sessionKey(id))).toBe(0);
    expect(upstream.ended).toContain(upstreamId);
    const response = await post({ 'mcp-session-id': id });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    await client.close();
  });

  it('is refused to another tenant and another subject, and still serves its own caller', async () => {
    const { client, transport } = await caller({ replica: 0 });
    const id = transport.sessionId!;
    for (const claims of [{ tenant: 'globex' }, { sub: 'someone-else' }]) {
      const token = await config.token({ scopes: ['mcp:invoke'], ...claims });
      const response = await fetch(`${replicas[1]!.base}/mcp/tools`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': id,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(404);
    }
    expect((await client.listTools()).tools).toHaveLength(2);
    await client.close();
  });

  it('is required after initialize: a request without one is a 400', async () => {
    const response = await post({});
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('Mcp-Session-Id') },
    });
  });

  it('holds its negotiated revision: another MCP-Protocol-Version is a 400', async () => {
    const { client, transport } = await caller({ replica: 0 });
    const response = await post({
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': '2025-03-26',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    await client.close();
  });
});
