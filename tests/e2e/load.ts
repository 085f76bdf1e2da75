/**
 * Constant, bounded load on the dataplane: each client loops one request at a time (a sync
 * request or an SSE stream read to its end) until stopped, its deadline passes or it has sent
 * its maximum. Every answer is checked: a sync request must be 200 with an answer the client's
 * check accepts; a stream must be 200, number its data events 1, 2, … without a gap and end
 * with `done` (an `error` event or a stream that ends without `done` is a broken stream).
 */
import { randomUUID } from 'node:crypto';
import { readSse } from '../support/sse.ts';

export interface LoadClient {
  name: string;
  mode: 'sync' | 'stream';
  body: object;
  /** Returns why an answer's text is wrong, or undefined when it is right. */
  check?: (text: string) => string | undefined;
}

export interface LoadStats {
  /** Completed requests by client name. */
  completed: Map<string, number>;
  /** Answer texts seen, by client name (text → count). */
  texts: Map<string, Map<string, number>>;
  failures: string[];
  total: number;
  streams: number;
  /** Start and end (Date.now()) of every stream that ended with `done`. */
  streamSpans: { client: string; start: number; end: number }[];
}

export interface Load {
  stats(): LoadStats;
  /** Stops every client after its current request and resolves with the totals. */
  stop(): Promise<LoadStats>;
}

export function startLoad(options: {
  url: string;
  token: string;
  clients: readonly LoadClient[];
  /** Hard bound on the run, whatever happens. */
  maxDurationMs: number;
  /** Hard bound on each client's requests. @default 100_000 */
  maxRequestsPerClient?: number;
}): Load {
  const deadline = Date.now() + options.maxDurationMs;
  const max = options.maxRequestsPerClient ?? 100_000;
  const state = { stopped: false };
  const stats: LoadStats = {
    completed: new Map(),
    texts: new Map(),
    failures: [],
    total: 0,
    streams: 0,
    streamSpans: [],
  };
  const fail = (client: LoadClient, why: string): void => {
    if (stats.failures.length < 50) stats.failures.push(`${client.name}: ${why}`);
    else stats.failures[49] = `… and more (last: ${client.name}: ${why})`;
  };
  const record = (client: LoadClient, text: string): void => {
    const problem = client.check?.(text);
    if (problem !== undefined) fail(client, `${problem} (answer "${text}")`);
    const texts = stats.texts.get(client.name) ?? new Map<string, number>();
    texts.set(text, (texts.get(text) ?? 0) + 1);
    stats.texts.set(client.name, texts);
  };

  const once = async (client: LoadClient): Promise<void> => {
    const path = client.mode === 'sync' ? '/api/v1/inference' : '/api/v1/inference:stream';
    const start = Date.now();
    const response = await fetch(`${options.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        'x-request-id': randomUUID(),
      },
      body: JSON.stringify(client.body),
    });
    if (response.status !== 200) {
      fail(client, `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
      return;
    }
    if (client.mode === 'sync') {
      const body = (await response.json()) as { output?: { content?: string } };
      record(client, body.output?.content ?? '');
      return;
    }
    stats.streams++;
    let text = '';
    let expected = 1;
    let done = false;
    if (response.body === null) {
      fail(client, 'a stream without a body');
      return;
    }
    for await (const event of readSse(response.body)) {
      if (event.event === 'data') {
        if (event.id !== String(expected)) {
          fail(client, `data event ${event.id ?? '?'} where ${expected} was due`);
          return;
        }
        expected++;
        text += (JSON.parse(event.data) as { text: string }).text;
      } else if (event.event === 'error') {
        fail(client, `error event ${event.data}`);
        return;
      } else if (event.event === 'done') {
        done = true;
      }
    }
    if (!done) {
      fail(client, `the stream ended without done after ${expected - 1} data events`);
      return;
    }
    if (stats.streamSpans.length < 100_000)
      stats.streamSpans.push({ client: client.name, start, end: Date.now() });
    record(client, text);
  };

  const loop = async (client: LoadClient): Promise<void> => {
    for (let n = 0; n < max && !state.stopped && Date.now() < deadline; n++) {
      try {
        await once(client);
      } catch (error) {
        fail(client, `request failed: ${(error as Error).message}`);
      }
      stats.total++;
      stats.completed.set(client.name, (stats.completed.get(client.name) ?? 0) + 1);
    }
  };
  const running = Promise.all(options.clients.map(loop));

  return {
    stats: () => stats,
    stop: async () => {
      state.stopped = true;
      await running;
      return stats;
    },
  };
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
