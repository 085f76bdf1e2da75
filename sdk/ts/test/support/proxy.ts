// An HTTP proxy in front of a dataplane that misbehaves as proxies do: it stops forwarding a
// response without closing it, or buffers responses (sending the headers at once, the body
// when the upstream ends it or when the proxy's own time limit ends it).
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  /** Passes the response through as it arrives. */
  | { kind: 'forward' }
  /** Passes it through up to the chunk with the event of id `afterId`, then nothing, open. */
  | { kind: 'stall'; afterId: number }
  /** Holds the body back until the upstream ends it or `windowMs` passed, then sends and ends. */
  | { kind: 'buffer'; windowMs?: number };

export interface Seen {
  path: string;
  lastEventId: string | undefined;
  requestId: string | undefined;
}

export interface Proxy {
  url: string;
  /** Every request, in order. */
  seen: Seen[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

const endToEnd = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

/** Each request, by its index (0, 1, …) and path, gets the behaviour `behave` names. */
export async function startProxy(
  target: string,
  behave: (index: number, path: string) => Behaviour,
): Promise<Proxy> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const behaviour = behave(seen.length, path);
    seen.push({
      path,
      lastEventId: request.headers['last-event-id'] as string | undefined,
      requestId: request.headers['x-request-id'] as string | undefined,
    });
    const upstream = httpRequest(`${target}${path}`, {
      method: request.method,
      headers: endToEnd(request.headers),
    });
    response.on('close', () => upstream.destroy());
    upstream.on('error', () => response.destroy());
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      response.flushHeaders();
      const held: Buffer[] = [];
      let forwarded = '';
      let stalled = false;
      const flush = () => {
        if (response.writableEnded) return;
        response.end(Buffer.concat(held));
        upstream.destroy();
      };
      if (behaviour.kind === 'buffer' && behaviour.windowMs !== undefined)
        setTimeout(flush, behaviour.windowMs).unref();
      answer.on('data', (chunk: Buffer) => {
        if (behaviour.kind === 'buffer') held.push(chunk);
        if (behaviour.kind === 'buffer' || stalled) return;
        response.write(chunk);
        forwarded += chunk.toString('utf8');
        if (behaviour.kind === 'stall') stalled = forwarded.includes(`id: ${behaviour.afterId}\n`);
      });
      answer.on('end', () => {
        if (behaviour.kind === 'buffer') flush();
        else if (!stalled) response.end();
      });
    });
    request.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
