/**
 * The dataplane reports what it sees of each enabled gateway's servers into Redis
 * (crds/mcp-status.ts), where the operator reads it for the MCPGateway's status: a real
 * upstream is reachable with the count of its allowed tools, a port nobody listens on is not,
 * and a server that goes away is reported unreachable on the next round.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpStatusKey, type McpServerReport } from '../../crds/mcp-status.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import { reportServer } from '../../dataplane/src/integrations/mcp/status-report.ts';
import { freePort, startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let redisServer: RedisServer;
let redis: Redis;
let config: ConfigDir;
let upstream: Upstream;
let app: FastifyInstance;
let own: Redis;
let closedUrl: string;

const KEY = mcpStatusKey('', 'tools');

async function reports(): Promise<Record<string, McpServerReport>> {
  const hash = await redis.hgetall(KEY);
  return Object.fromEntries(
    Object.entries(hash).map(([name, json]) => [name, JSON.parse(json) as McpServerReport]),
  );
}

beforeAll(async () => {
  [redisServer, upstream, config] = await Promise.all([
    startRedis(),
    startUpstream('alpha'),
    makeConfigDir(),
  ]);
  closedUrl = `http://127.0.0.1:${String(await freePort())}/mcp`;
  redis = new Redis(redisServer.url);
  await config.write('mcp.yaml', {
    enabled: true,
    statusIntervalS: 5,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [
            { name: 'alpha', url: upstream.url, allowedTools: ['echo', 'add', 'absent'] },
            { name: 'gone', url: closedUrl, allowedTools: ['echo'] },
          ],
        },
      },
    ],
  });
  own = new Redis(redisServer.url);
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis: own,
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  own.disconnect();
  redis.disconnect();
  await Promise.all([upstream.close(), redisServer.stop(), config.cleanup()]);
});

describe('the MCP status report', () => {
  it('says a running server is reachable with the count of the allowed tools it lists', async () => {
    const seen = await eventually(async () => {
      const all = await reports();
      return all['alpha'] !== undefined && all['gone'] !== undefined ? all : undefined;
    });
    // `absent` is allowed but the server does not list it: two tools, not three.
    expect(seen['alpha']).toMatchObject({ reachable: true, tools: 2 });
    expect(seen['alpha']?.config).toMatch(/^sha256:/);
  });

  it('says a server nobody listens for is unreachable, and why', async () => {
    const seen = await reports();
    expect(seen['gone']).toMatchObject({ reachable: false, tools: 0 });
    expect(seen['gone']?.error).toMatch(/gone is unavailable: ECONNREFUSED/);
  });

  it('expires the report when no replica renews it for three intervals', async () => {
    const ttl = await redis.pttl(KEY);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
  });

  it('reports a server that went away as unreachable on its next round', async () => {
    const server = {
      name: 'alpha',
      url: upstream.url,
      transport: 'streamable-http' as const,
      token: undefined,
      allowedTools: new Set(['echo']),
      allowedPrompts: new Set<string>(),
      allowedResources: [],
      requiredScopes: [],
      pricePerCall: 0,
    };
    const sessions = new Map();
    expect(await reportServer(server, 300, sessions, 'sha256:x')).toMatchObject({
      reachable: true,
      tools: 1,
    });
    expect(sessions.size).toBe(1);
    await upstream.close();
    const after = await reportServer(server, 300, sessions, 'sha256:x');
    expect(after).toMatchObject({ reachable: false, tools: 0 });
    expect(after.error).toMatch(/alpha is unavailable/);
    expect(sessions.size).toBe(0);
  });
});
