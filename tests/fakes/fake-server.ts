/**
 * A scriptable HTTP server on a loopback port chosen at run time: the base of the provider
 * fakes. Each request is recorded (method, path, headers, parsed JSON body) and answered by the
 * next scripted reply for its path, or by the fake's default. Replies write bytes as the real
 * services do: status, headers, JSON bodies, SSE frames with gaps, a stall, or a connection
 * dropped mid-stream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The body's bytes as they came (UTF-8): what the gateway sent, exactly (multipart too). */
  raw: string;
  /** Over HTTPS: the serial (upper-case hex) of the client certificate the caller presented. */
  clientCertificateSerial?: string;
}

export interface FakeServerOptions {
  /**
   * Serve HTTPS with these options (`cert`, `key`; `ca` with `requestCert` and
   * `rejectUnauthorized` to require client certificates, as an mTLS upstream does).
   */
  tls?: HttpsOptions;
}

export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | {
      kind: 'sse';
      /** Whole frames, written as they are (`data: ...\n\n`, `event: x\ndata: ...\n\n`). */
      frames: string[];
      headers?: Record<string, string>;
      /** Wait between frames. @default 0 */
      gapMs?: number;
      /** After this many frames: `stall` sends nothing more, `drop` destroys the connection. */
      after?: { frames: number; then: 'stall' | 'drop' };
    }
  /** Raw bytes (an audio file), as a speech API answers. */
  | { kind: 'bytes'; status: number; contentType: string; body: Buffer }
  /** Accept the request and never answer. */
  | { kind: 'stall' }
  /** Destroy the connection before any byte of the answer. */
  | { kind: 'drop' };

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly #scripts = new Map<string, Reply[]>();
  readonly #server: Server;
  readonly #open = new Set<ServerResponse>();
  readonly #fallback: (request: RecordedRequest) => Reply;
  #url = '';
  readonly #scheme: 'http' | 'https';
  /** TLS handshakes the server completed (HTTPS only). */
  handshakes = 0;

  constructor(fallback: (request: RecordedRequest) => Reply, options: FakeServerOptions = {}) {
    this.#fallback = fallback;
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      void this.#handle(request, response);
    this.#scheme = options.tls === undefined ? 'http' : 'https';
    this.#server =
      options.tls === undefined ? createServer(handler) : createHttpsServer(options.tls, handler);
    if (options.tls !== undefined) this.#server.on('secureConnection', () => this.handshakes++);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `${this.#scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get url(): string {
    return this.#url;
  }

  /** HTTPS only: new handshakes use these certificates and CA bundle (a rotation upstream). */
  setTls(options: Pick<HttpsOptions, 'cert' | 'key' | 'ca'>): void {
    if (this.#scheme !== 'https') throw new Error('setTls needs a fake started with tls.');
    (this.#server as unknown as { setSecureContext(o: object): void }).setSecureContext(options);
  }

  /** Queues replies for the next requests to `path`, in order; later ones get the default. */
  script(path: string, ...replies: Reply[]): void {
    this.#scripts.set(path, [...(this.#scripts.get(path) ?? []), ...replies]);
  }

  /** Forgets recorded requests and unused scripts. */
  reset(): void {
    this.requests.length = 0;
    this.#scripts.clear();
  }

  /** Requests seen on a path. */
  seen(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    for (const response of this.#open) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const socket = request.socket as Partial<TLSSocket>;
    const serial =
      typeof socket.getPeerCertificate === 'function'
        ? (socket.getPeerCertificate() as { serialNumber?: string }).serialNumber
        : undefined;
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      headers: request.headers,
      body: parseJson(text),
      raw: text,
      ...(serial === undefined ? {} : { clientCertificateSerial: serial.toUpperCase() }),
    };
    this.requests.push(recorded);
    const reply = this.#scripts.get(recorded.path)?.shift() ?? this.#fallback(recorded);
    this.#open.add(response);
    response.on('close', () => this.#open.delete(response));
    await write(reply, response);
  }
}

async function write(reply: Reply, response: ServerResponse): Promise<void> {
  switch (reply.kind) {
    case 'json': {
      const body = JSON.stringify(reply.body);
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...reply.headers,
      });
      response.end(body);
      return;
    }
    case 'bytes':
      response.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': reply.body.length,
      });
      response.end(reply.body);
      return;
    case 'stall':
      return;
    case 'drop':
      response.socket?.destroy();
      return;
    case 'sse': {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...reply.headers,
      });
      response.flushHeaders();
      for (const [index, frame] of reply.frames.entries()) {
        if (reply.after?.frames === index) {
          // Let the frames already written reach the client, then cut the connection.
          await sleep(30);
          if (reply.after.then === 'drop') response.socket?.destroy();
          return;
        }
        if (index > 0 && (reply.gapMs ?? 0) > 0) await sleep(reply.gapMs);
        if (response.destroyed) return;
        response.write(frame);
      }
      response.end();
      return;
    }
  }
}

/** A JSON body, parsed; undefined for an empty or non-JSON one (multipart uploads). */
function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The text of the last user message of an OpenAI- or Anthropic-format body. */
export function lastUserText(body: unknown): string {
  const messages = (body as { messages?: { role: string; content: unknown }[] }).messages ?? [];
  const last = messages.findLast((message) => message.role === 'user');
  if (last === undefined) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[])
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('');
}
