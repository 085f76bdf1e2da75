import { readFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

export interface Host {
  /** The page's origin, e.g. http://127.0.0.1:40123. */
  origin: string;
  /** How often `/demo/token` was asked, by its `why`. */
  tokensAsked: string[];
  /** Cuts the network: every open connection through the host is destroyed, new ones refused. */
  cut(): void;
  restore(): void;
  /** While on, a WebSocket upgrade is answered 502 (a proxy that passes plain HTTP only). */
  refuseUpgrades(on: boolean): void;
  stop(): Promise<void>;
}

/**
 * What a browser reaches in the tests: the built example's files, `GET /demo/token` (the
 * page's token source: `token(why)`), and everything under `/api/` passed through (HTTP and
 * WebSocket upgrades, bytes untouched) to the dataplane at `upstream`, so the page, the API and
 * the voice socket share one origin. `cut()` stands for the network going away.
 */
export async function startHost(options: {
  root: string;
  /** The dataplane's http:// base, read per connection (it may listen after the host). */
  upstream: () => string;
  token: (why: string) => Promise<string>;
  hostname?: string;
}): Promise<Host> {
  const tokensAsked: string[] = [];
  const sockets = new Set<Socket>();
  let down = false;
  let refusingUpgrades = false;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const target = new URL(options.upstream());
    if (url.pathname.startsWith('/api/')) {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    if (url.pathname === '/demo/token') {
      const why = url.searchParams.get('why') ?? 'initial';
      tokensAsked.push(why);
      void options.token(why).then((token) => res.end(token));
      return;
    }
    const path = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
    readFile(join(options.root, path)).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => {
        res.writeHead(404).end();
      },
    );
  });
  server.on('connection', (socket) => {
    if (down) socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    if (refusingUpgrades) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const target = new URL(options.upstream());
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, options.hostname ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${options.hostname ?? '127.0.0.1'}:${port}`,
    tokensAsked,
    cut: () => {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      down = false;
    },
    refuseUpgrades: (on) => {
      refusingUpgrades = on;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
