/**
 * The MCPGateway's own per-tenant tool-call limit (spec.toolCallsPerMinute), kept atomically in
 * a real Redis shared by two replicas: a tenant's calls past the limit in one minute are
 * refused with RATE_LIMITED and a retry time, without calling upstream, wherever they land;
 * another tenant keeps its own count.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
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
          toolCallsPerMinute: 3,
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo'] }],
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

async function connect(tenant: string, replica: number): Promise<Client> {
  const token = await config.token({ tenant, scopes: ['mcp:invoke'] });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${replicas[replica]!.base}/mcp/tools`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const echo = (client: Client, text: string) =>
  client.callTool({ name: 'alpha__echo', arguments: { text } });

describe("the gateway's tool-call limit", () => {
  it('refuses the call past the limit across replicas, with a retry time, without calling upstream', async () => {
    // Not across a minute boundary: the count is per UTC minute.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const [a, b] = await Promise.all([connect('acme', 0), connect('acme', 1)]);
    await echo(a, 'one');
    await echo(b, 'two');
    await echo(a, 'three');
    const before = upstream.authorizations.length;
    const refused = (await echo(b, 'four').catch((e: unknown) => e)) as McpError;
    expect(refused).toBeInstanceOf(McpError);
    expect(refused.data).toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'toolCallsPerMinute', value: 3 },
    });
    const retry = (refused.data as { retry_after_s: number }).retry_after_s;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(upstream.authorizations.length).toBe(before);
    const other = await connect('globex', 1);
    expect(await echo(other, 'mine')).toMatchObject({ content: [{ type: 'text' }] });
  });
});
