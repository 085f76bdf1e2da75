/**
 * The official Python `mcp` client (PyPI, installed by `make test` into .tmp/venv) as a
 * second caller of the MCP gateway: initialize, list the tools, call them, one with progress.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

const python = '.tmp/venv/bin/python';
let config: ConfigDir;
let app: FastifyInstance;
let base: string;
let upstream: Upstream;

const SCRIPT = `
import asyncio, json, os
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

async def main():
    out = {}
    headers = {"Authorization": "Bearer " + os.environ["TOKEN"]}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(os.environ["URL"], http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = await session.initialize()
                out["server"] = init.server_info.name
                out["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
                steps = []
                async def progress(progress, total, message):
                    steps.append(progress)
                result = await session.call_tool("alpha__slow", {"steps": 3}, progress_callback=progress)
                out["result"] = [c.text for c in result.content]
                out["progress"] = steps
                echo = await session.call_tool("alpha__echo", {"text": "from python"})
                out["echo"] = echo.content[0].text
    print(json.dumps(out))

asyncio.run(main())
`;

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
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo', 'slow'] }],
        },
      },
    ],
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([upstream.close(), config.cleanup()]);
});

describe('the Python mcp client', () => {
  it('initializes, lists and calls tools with progress through the gateway', async () => {
    const { stdout } = await promisify(execFile)(python, ['-c', SCRIPT], {
      env: {
        ...process.env,
        URL: `${base}/mcp/tools`,
        TOKEN: await config.token({ scopes: ['mcp:invoke'] }),
      },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      server: 'inference-service-mcp-gateway/tools',
      tools: ['alpha__echo', 'alpha__slow'],
      result: ['counted to 3'],
      progress: [1, 2, 3],
      echo: 'alpha: from python',
    });
  });
});
