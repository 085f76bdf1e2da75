/**
 * A real MCP server (the SDK's `Server` over its Streamable HTTP transport, with sessions kept
 * in memory as the SDK's own examples do, or over the legacy HTTP+SSE transport) on a free
 * loopback port, with tools and, unless told otherwise, resources and prompts. It records
 * what a test asks about: the Authorization header of every request, the sessions it initialized and saw
 * ended, and the calls of its slow tool that were cancelled.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

export interface Upstream {
  url: string;
  /** The Authorization header of each HTTP request received, in order. */
  authorizations: (string | undefined)[];
  /** Session ids this server issued at initialize, in order. */
  initialized: string[];
  /** Session ids a client ended with DELETE. */
  ended: string[];
  /** The `slow` calls whose request was cancelled, with the step they had reached. */
  cancelled: { step: number; reason: unknown }[];
  /** Forgets every session, as a restarted server would. */
  forget(): void;
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
    name: 'slow',
    description: 'Counts to `steps`, one step each 40 ms, reporting progress.',
    inputSchema: { type: 'object', properties: { steps: { type: 'number' } } },
  },
  {
    name: 'shutdown',
    description: 'A tool no gateway should expose.',
    inputSchema: { type: 'object', properties: {} },
  },
];

const tick = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export interface UpstreamOptions {
  /** Offers resources and prompts besides tools. @default true */
  passthrough?: boolean;
}

function offerPassthrough(
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  server: Server,
  label: string,
): void {
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: [
      { uri: 'memo://notes/1', name: 'note-1', mimeType: 'text/plain' },
      { uri: 'memo://secret/1', name: 'secret-1', mimeType: 'text/plain' },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({
    contents: [
      {
        uri: request.params.uri,
        mimeType: 'text/plain',
        text: `${label} read ${request.params.uri}`,
      },
    ],
  }));
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: [
      {
        name: 'greet',
        description: 'Greets someone.',
        arguments: [{ name: 'who', required: true }],
      },
      { name: 'hidden', description: 'A prompt no gateway should expose.' },
    ],
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => ({
    messages: [
      {
        role: 'user',
        content: { type: 'text', text: `Say hello to ${request.params.arguments?.['who'] ?? ''}` },
      },
    ],
  }));
}

// The low-level Server: tools declared as plain JSON Schema, no zod.
function mcpServer(
  label: string,
  cancelled: Upstream['cancelled'],
  options: UpstreamOptions,
  // eslint-disable-next-line @typescript-eslint/no-deprecated
): Server {
  const passthrough = options.passthrough ?? true;
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(
    { name: label, version: '1.0.0' },
    { capabilities: passthrough ? { tools: {}, resources: {}, prompts: {} } : { tools: {} } },
  );
  if (passthrough) offerPassthrough(server, label);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'echo':
        return { content: [{ type: 'text', text: `${label}: ${String(args['text'])}` }] };
      case 'add':
        return { content: [{ type: 'text', text: String(Number(args['a']) + Number(args['b'])) }] };
      case 'slow': {
        const steps = Number(args['steps'] ?? 5);
        const token = request.params._meta?.progressToken;
        for (let step = 1; step <= steps; step++) {
          await tick(40, extra.signal);
          if (extra.signal.aborted) {
            cancelled.push({ step, reason: extra.signal.reason });
            return { content: [] };
          }
          if (token !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: {
                progressToken: token,
                progress: step,
                total: steps,
                message: `step ${step}`,
              },
            });
          }
        }
        return { content: [{ type: 'text', text: `counted to ${steps}` }] };
      }
      default:
        return { content: [{ type: 'text', text: 'shut down' }] };
    }
  });
  return server;
}

export async function startUpstream(
  label: string,
  options: UpstreamOptions = {},
): Promise<Upstream> {
  const upstream: Omit<Upstream, 'url' | 'forget' | 'close'> = {
    authorizations: [],
    initialized: [],
    ended: [],
    cancelled: [],
  };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((req, res) => {
    upstream.authorizations.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const body: unknown = text === '' ? undefined : JSON.parse(text);
      const header = req.headers['mcp-session-id'];
      const known = typeof header === 'string' ? transports.get(header) : undefined;
      if (known !== undefined) {
        void known.handleRequest(req, res, body);
        return;
      }
      if (header !== undefined) {
        res.writeHead(404).end();
        return;
      }
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => {
          transports.set(id, transport);
          upstream.initialized.push(id);
        },
        onsessionclosed: (id) => {
          transports.delete(id);
          upstream.ended.push(id);
        },
      });
      void mcpServer(label, upstream.cancelled, options)
        .connect(transport)
        .then(() => transport.handleRequest(req, res, body));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    ...upstream,
    url: `http://127.0.0.1:${port}/mcp`,
    forget: () => {
      transports.clear();
    },
    close: async () => {
      await Promise.all([...transports.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          resolve();
        });
      });
    },
  };
}

/**
 * The same server over the legacy HTTP+SSE transport: `GET /sse` opens a session's stream,
 * `POST /messages?sessionId=` carries its messages.
 */
export async function startSseUpstream(label: string): Promise<Upstream> {
  const upstream: Omit<Upstream, 'url' | 'forget' | 'close'> = {
    authorizations: [],
    initialized: [],
    ended: [],
    cancelled: [],
  };
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const transports = new Map<string, SSEServerTransport>();
  const http: HttpServer = createServer((req, res) => {
    upstream.authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.method === 'GET' && url.pathname === '/sse') {
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      upstream.initialized.push(transport.sessionId);
      res.on('close', () => transports.delete(transport.sessionId));
      void mcpServer(label, upstream.cancelled, {}).connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get('sessionId') ?? '');
    if (req.method === 'POST' && transport !== undefined) {
      void transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    ...upstream,
    url: `http://127.0.0.1:${port}/sse`,
    forget: () => {
      transports.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          resolve();
        });
      }),
  };
}
