/**
 * Resources and prompts through the MCP gateway, where upstreams offer them and the gateway
 * allows them, prefixed like tools; and an upstream on the legacy HTTP+SSE transport.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startSseUpstream, startUpstream, type Upstream } from './upstream-server.ts';

const SSE_SECRET = 'sse-upstream-secret-19';

let app: FastifyInstance;
let base: string;
let config: ConfigDir;
let alpha: Upstream;
let plain: Upstream;
let legacy: Upstream;
let closedUrl: string;

beforeAll(async () => {
  [alpha, plain, legacy] = await Promise.all([
    startUpstream('alpha'),
    startUpstream('plain', { passthrough: false }),
    startSseUpstream('legacy'),
  ]);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/sse`;
  await new Promise((resolve) => closed.close(resolve));
  config = await makeConfigDir();
  await config.write('credentials/mcp-upstreams__legacy', SSE_SECRET);
  await config.write('mcp.yaml', {
    enabled: true,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [
            {
              name: 'alpha',
              url: alpha.url,
              allowedTools: ['echo'],
              allowedResources: ['memo://notes/'],
              allowedPrompts: ['greet'],
            },
            {
              name: 'plain',
              url: plain.url,
              allowedTools: ['echo'],
              allowedResources: ['memo://'],
              allowedPrompts: ['greet'],
            },
          ],
        },
      },
      {
        name: 'sse',
        spec: {
          enabled: true,
          servers: [
            {
              name: 'legacy',
              url: legacy.url,
              transport: 'sse',
              credentials: { secretKeyRef: { name: 'mcp-upstreams', key: 'legacy' } },
              allowedTools: ['echo', 'add'],
            },
            { name: 'gone', url: closedUrl, transport: 'sse', allowedTools: ['echo'] },
          ],
        },
      },
    ],
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([alpha.close(), plain.close(), legacy.close(), config.cleanup()]);
});

async function connect(gateway: string): Promise<Client> {
  const token = await config.token({ scopes: ['mcp:invoke'] });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp/${gateway}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const refusalOf = async (call: Promise<unknown>) => {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
};

describe('resources through the gateway', () => {
  it('lists the allowed resources of the servers that offer them, prefixed', async () => {
    const client = await connect('tools');
    expect(client.getServerCapabilities()).toMatchObject({ resources: {}, prompts: {} });
    const { resources } = await client.listResources();
    // plain offers no resources: it lists none, and the list does not fail.
    expect(resources).toEqual([
      { uri: 'alpha+memo://notes/1', name: 'alpha__note-1', mimeType: 'text/plain' },
    ]);
    await client.close();
  });

  it("reads an allowed resource from its server by the upstream's own URI", async () => {
    const client = await connect('tools');
    const read = await client.readResource({ uri: 'alpha+memo://notes/1' });
    expect(read.contents).toEqual([
      { uri: 'alpha+memo://notes/1', mimeType: 'text/plain', text: 'alpha read memo://notes/1' },
    ]);
    await client.close();
  });

  it('refuses a resource outside the allowed prefixes without calling the server', async () => {
    const client = await connect('tools');
    const before = alpha.authorizations.length;
    const refused = await refusalOf(client.readResource({ uri: 'alpha+memo://secret/1' }));
    expect(refused.code).toBe(ErrorCode.InvalidParams);
    expect(alpha.authorizations.length).toBe(before);
    await client.close();
  });
});

describe('prompts through the gateway', () => {
  it('lists the allowed prompts, prefixed, and gets one with its arguments', async () => {
    const client = await connect('tools');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['alpha__greet']);
    const got = await client.getPrompt({ name: 'alpha__greet', arguments: { who: 'Ada' } });
    expect(got.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'Say hello to Ada' } },
    ]);
    const refused = await refusalOf(client.getPrompt({ name: 'alpha__hidden' }));
    expect(refused.code).toBe(ErrorCode.InvalidParams);
    await client.close();
  });

  it('declares neither where no server allows any', async () => {
    const client = await connect('sse');
    expect(client.getServerCapabilities()?.resources).toBeUndefined();
    expect(client.getServerCapabilities()?.prompts).toBeUndefined();
    await client.close();
  });
});

describe('an upstream on the legacy HTTP+SSE transport', () => {
  it('lists and calls its tools with the gateway credential', async () => {
    const client = await connect('sse');
    await expect(client.listTools()).rejects.toThrow(/Upstream MCP server gone/);
    const sum = await client.callTool({ name: 'legacy__add', arguments: { a: 4, b: 5 } });
    expect(sum.content).toEqual([{ type: 'text', text: '9' }]);
    expect(new Set(legacy.authorizations)).toEqual(new Set([`Bearer ${SSE_SECRET}`]));
    await client.close();
  });

  it('answers an unreachable one with a clear error at once, not after its timeout', async () => {
    const client = await connect('sse');
    const started = performance.now();
    const refused = await refusalOf(client.callTool({ name: 'gone__echo', arguments: {} }));
    // A refused connection, not a timeout, ended it (the bound is loose for a loaded CI machine).
    expect(performance.now() - started).toBeLessThan(1000);
    expect(refused.message).toContain('Upstream MCP server gone is unavailable');
    await client.close();
  });
});
