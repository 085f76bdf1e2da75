/**
 * The replicas' front door, as a Kubernetes Service would be: a loopback HTTP proxy that sends
 * every request to the first replica still in rotation, and records what each SDK sent (path,
 * x-request-id, Last-Event-ID, status, times) so that a scenario can check the wire.
 */
import { once } from 'node:events';
import { createServer, request as forward, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireRecord {
  method: string;
  path: string;
  requestId: string | undefined;
  lastEventId: string | undefined;
  status: number | undefined;
  startedAt: number;
  answeredAt: number | undefined;
}

export interface Front {
  url: string;
  /** The replicas in rotation, first served first; the harness removes one it drains. */
  backends: string[];
  records: WireRecord[];
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'host'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export async function startFront(backends: string[]): Promise<Front> {
  const records: WireRecord[] = [];
  const server = createServer((incoming, outgoing) => {
    const record: WireRecord = {
      method: incoming.method ?? 'GET',
      path: (incoming.url ?? '/').split('?')[0] ?? '/',
      requestId: header(incoming.headers, 'x-request-id'),
      lastEventId: header(incoming.headers, 'last-event-id'),
      status: undefined,
      startedAt: Date.now(),
      answeredAt: undefined,
    };
    records.push(record);
    const target = new URL(incoming.url ?? '/', backends[0]);
    const upstream = forward(
      target,
      { method: incoming.method, headers: endToEnd(incoming.headers), agent: false },
      (answer) => {
        record.status = answer.statusCode;
        record.answeredAt = Date.now();
        outgoing.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(outgoing);
        answer.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('error', () => outgoing.destroy());
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    backends,
    records,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
