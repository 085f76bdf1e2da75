/**
 * A real MCP server (the SDK's `Server` over its Streamable HTTP transport, stateless) on a
 * free loopback port, that records the Authorization header of every request it gets.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

export interface Upstream {
  url: string;
  /** The Authorization header of each HTTP request received, in order. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

const tools: Tool[] = [
  {
    name: 'echo',
    description: 'Echoes its text.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  {
    name: 'add',
    description: 'Adds two numbers.',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  },
  {
    name: 'shutdown',
    description: 'A tool no gateway should expose.',
    inputSchema: { type: 'object', properties: {} },
  },
];

// The low-level Server: tools declared as plain JSON Schema, no zod.
// eslint-disable-next-line @typescript-eslint/no-deprecated
function mcpServer(label: string): Server {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server({ name: label, version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'echo':
        return { content: [{ type: 'text', text: `${label}: ${String(args['text'])}` }] };
      case 'add':
        return { content: [{ type: 'text', text: String(Number(args['a']) + Number(args['b'])) }] };
      default:
        return { content: [{ type: 'text', text: 'shut down' }] };
    }
  });
  return server;
}

export async function startUpstream(label: string): Promise<Upstream> {
  const authorizations: (string | undefined)[] = [];
  const http: HttpServer = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const server = mcpServer(label);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      void server
        .connect(transport)
        .then(() => transport.handleRequest(req, res, text === '' ? undefined : JSON.parse(text)));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          resolve();
        });
      }),
  };
}
