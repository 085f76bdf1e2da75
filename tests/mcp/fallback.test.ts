/**
 * The native fallback of an MCP gateway: a tool call whose upstream is killed mid-call, or
 * refuses the connection, is answered by the gateway's fallback ProviderRoute (here the mock
 * provider's echo model); the failover, from the kill to the call failing over, is measured
 * and must be under 300 ms. The tool's receipt says it failed, the fallback's request has its
 * own.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { FALLBACK_META } from '../../dataplane/src/integrations/mcp/fallback.ts';
import { exportText, receiptsOf } from '../audit/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let app: FastifyInstance;
let base: string;
let config: ConfigDir;
let upstream: Upstream;

beforeAll(async () => {
  upstream = await startUpstream('alpha');
  config = await makeConfigDir();
  await config.write('mcp.yaml', {
    enabled: true,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          fallback: { route: 'chat', timeoutMs: 300 },
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo', 'slow'] }],
        },
      },
    ],
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  // One chat request first: the failover is measured on a warm pipeline, as a serving one is.
  const warm = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${await config.token()}` },
    payload: { model: 'chat', messages: [{ role: 'user', content: 'warm up' }] },
  });
  expect(warm.statusCode).toBe(200);
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

async function connect(): Promise<Client> {
  const token = await config.token({ scopes: ['mcp:invoke'] });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp/tools`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('a tool call whose upstream goes down', () => {
  it('fails over to the fallback route within 300 ms of the upstream being killed mid-call', async () => {
    const client = await connect();
    let killedAt = 0;
    let killedWall = 0;
    const result = await client.callTool(
      { name: 'alpha__slow', arguments: { steps: 100 } },
      undefined,
      {
        onprogress: (progress) => {
          if (progress.progress === 2 && killedAt === 0) {
            killedAt = performance.now();
            killedWall = Date.now();
            void upstream.close();
          }
        },
      },
    );
    const answered = performance.now() - killedAt;
    expect(killedAt).toBeGreaterThan(0);
    // The tool's receipt is written when the call fails, just before the fallback is asked.
    const failed = receiptsOf(await exportText(app, config, 'acme')).find(
      (r) => r['kind'] === 'tool' && (r['mcp'] as { tool: string }).tool === 'slow',
    );
    expect(failed).toMatchObject({ outcome: 'failed', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    const failover = Date.parse(String(failed?.['at'])) - killedWall;
    expect(failover).toBeLessThan(300);
    console.log(
      `MCP upstream killed mid-call: failed over after ${failover} ms, fallback answer after ${answered.toFixed(0)} ms`,
    );
    expect(result._meta).toEqual({ [FALLBACK_META]: { route: 'chat' } });
    expect(result.content).toEqual([
      {
        type: 'text',
        text: expect.stringContaining('Echo: The tool alpha__slow is unavailable.') as string,
      },
    ]);
    await client.close();
  });

  it('fails over when the upstream refuses the connection, each answer with its receipt', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } });
    expect(result._meta).toEqual({ [FALLBACK_META]: { route: 'chat' } });
    const receipts = receiptsOf(await exportText(app, config, 'acme'));
    const tool = receipts.filter((r) => r['kind'] === 'tool');
    expect(tool.at(-1)).toMatchObject({
      outcome: 'failed',
      error: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(
      receipts.find(
        (r) => r['kind'] === 'request' && String(r['request_id']).startsWith('mcp-fallback:'),
      ),
    ).toMatchObject({ outcome: 'served' });
    await client.close();
  });
});
