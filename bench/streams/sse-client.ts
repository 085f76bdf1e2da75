/**
 * A very small SSE client on node:http for many concurrent streams: one socket per stream, and
 * per stream only counters and the latest resume token are kept, so the client's own memory
 * stays out of the way.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface HeldStream {
  /** The latest resume token seen. */
  resumeToken: string | undefined;
  dataEvents: number;
  heartbeats: number;
  closed: boolean;
  close(): void;
}

export interface OpenOptions {
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Resolve once this event has arrived (`data`: the first chunk). */
  until: 'data';
  timeoutMs: number;
}

/** Opens one stream; resolves when `until` arrived, with the time that took. */
export function openStream(options: OpenOptions): Promise<{ stream: HeldStream; firstMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    let res: IncomingMessage | undefined;
    const stream: HeldStream = {
      resumeToken: undefined,
      dataEvents: 0,
      heartbeats: 0,
      closed: false,
      close() {
        stream.closed = true;
        res?.destroy();
        req.destroy();
      },
    };
    const fail = (error: Error) => {
      stream.closed = true;
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new Error(`no ${options.until} event in ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const req: ClientRequest = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        method: 'POST',
        headers: { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
        agent: false,
      },
      (response) => {
        res = response;
        if (response.statusCode !== 200) {
          response.resume();
          fail(new Error(`status ${response.statusCode}`));
          return;
        }
        response.setEncoding('utf8');
        let buffered = '';
        response.on('data', (text: string) => {
          buffered += text;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const frame = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.+)$/m.exec(frame)?.[1];
            if (event === 'data') stream.dataEvents++;
            else if (event === 'heartbeat') stream.heartbeats++;
            else if (event === 'resume') {
              stream.resumeToken = /"resume_token":"([^"]+)"/.exec(frame)?.[1];
            }
            if (!settled && event === options.until) {
              settled = true;
              clearTimeout(timer);
              resolve({ stream, firstMs: performance.now() - started });
            }
          }
        });
        response.on('close', () => {
          stream.closed = true;
          if (!settled) fail(new Error('closed before the first event'));
        });
      },
    );
    req.on('error', fail);
    req.end(options.body);
  });
}
