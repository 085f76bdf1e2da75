/**
 * What the game days share (docs/gameday.md): a steady bounded load of clients posting
 * `/api/v1/inference` back to back, each answer recorded with its time, status, error code and
 * tokens; a stream read into its offsets and resume token; and stopping a child we started.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readSse } from '../support/sse.ts';

export const enabled = process.env['GAMEDAY'] === '1';

export interface Answer {
  /** performance.now() when the request was sent. */
  sent: number;
  /** performance.now() when the answer (or the failure to connect) came back. */
  at: number;
  /** 0 when no HTTP answer came (connection refused or reset). */
  status: number;
  /** The error code of a refused answer (docs/errors.md), '' for a 200 or no answer. */
  code: string;
  id: string;
  /** Input plus output tokens of a 200. */
  tokens: number;
  /** Which base URL answered (a failover's groups). */
  url: string;
}

export interface Load {
  answers: Answer[];
  /** Ends the loop after each client's answer in flight; resolves when all have ended. */
  stop(): Promise<void>;
}

/**
 * `clients` clients posting route `model` back to back to `url()` (asked before each request,
 * so a failover can move them) until stop(), or for at most `maxMs` (a bound for a shared machine).
 */
export function startLoad(options: {
  url: () => string;
  token: () => string;
  clients?: number;
  model?: string;
  maxMs?: number;
}): Load {
  const answers: Answer[] = [];
  const deadline = performance.now() + (options.maxMs ?? 60_000);
  let stopped = false;
  const client = async () => {
    while (!stopped && performance.now() < deadline) {
      const id = randomUUID();
      const url = options.url();
      const sent = performance.now();
      const response = await fetch(`${url}/api/v1/inference`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.token()}`,
          'content-type': 'application/json',
          'x-request-id': id,
        },
        body: JSON.stringify({
          model: options.model ?? 'chat',
          messages: [{ role: 'user', content: 'hello' }],
        }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      const body = (await response?.json().catch(() => undefined)) as
        | {
            error?: { code?: string };
            usage?: { input_tokens: number; output_tokens: number };
          }
        | undefined;
      answers.push({
        sent,
        at: performance.now(),
        status: response?.status ?? 0,
        code: body?.error?.code ?? '',
        id,
        tokens: (body?.usage?.input_tokens ?? 0) + (body?.usage?.output_tokens ?? 0),
        url,
      });
      // A refused or failed answer comes back at once: pace the retries as a client would.
      if (response?.status !== 200) await sleep(20);
    }
  };
  const running = Promise.all(Array.from({ length: options.clients ?? 4 }, client));
  return {
    answers,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/** The error codes of the answers that were not 200, with their counts ("BUDGET_UNAVAILABLE×3"). */
export function failures(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers)
    if (a.status !== 200) {
      const key = a.status === 0 ? 'no answer' : `${a.status} ${a.code}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return [...counts].map(([key, n]) => `${key}×${n}`).join(', ') || 'none';
}

/** The longest wait between two served answers (what a client felt of an outage), in ms. */
export function longestGap(answers: readonly Answer[]): number {
  const served = answers.filter((a) => a.status === 200).map((a) => a.at);
  served.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < served.length; i++) gap = Math.max(gap, served[i]! - served[i - 1]!);
  return gap;
}

export interface StreamRead {
  /** The data events' ids (offsets), in order. */
  offsets: number[];
  /** The last resume token the stream sent. */
  token: string;
  /** The stream's id (its resume events say it). */
  streamId: string;
  /** done, error, or '' when the body ended (or was cut) without either. */
  end: string;
  /** The error event's code, when it ended with one. */
  errorCode: string;
  /** Input plus output tokens of the done event. */
  tokens: number;
}

/**
 * Reads an SSE answer of /api/v1/inference:stream or :resume into `read` (so a caller sees the
 * offsets while it runs), calling onData after each data event. A cut connection ends it, and
 * so does `idle.ms` without a data event (the client gives up; `end` stays '').
 */
export async function readStream(
  response: Response,
  read: StreamRead,
  onData: (read: StreamRead) => void = () => undefined,
  idle?: { controller: AbortController; ms: number },
): Promise<StreamRead> {
  // A client gives up on a stream that sends no data for idle.ms (heartbeats do not count) by
  // aborting the fetch whose signal is idle.controller's.
  const giveUp = () => idle?.controller.abort();
  let timer = idle === undefined ? undefined : setTimeout(giveUp, idle.ms);
  try {
    for await (const event of readSse(response.body!)) {
      if (event.event === 'resume') {
        const resume = JSON.parse(event.data) as { resume_token: string; stream_id: string };
        read.token = resume.resume_token;
        read.streamId = resume.stream_id;
      }
      if (event.event === 'data') {
        clearTimeout(timer);
        timer = idle === undefined ? undefined : setTimeout(giveUp, idle.ms);
        read.offsets.push(Number(event.id));
        onData(read);
      }
      if (event.event === 'done') {
        const done = JSON.parse(event.data) as {
          usage?: { input_tokens: number; output_tokens: number };
        };
        read.tokens = (done.usage?.input_tokens ?? 0) + (done.usage?.output_tokens ?? 0);
      }
      if (event.event === 'error')
        read.errorCode = (JSON.parse(event.data) as { code?: string }).code ?? '';
      if (event.event === 'done' || event.event === 'error') {
        read.end = event.event;
        break;
      }
    }
  } catch {
    // A connection cut mid-body (the replica was killed) or given up on: the caller resumes.
  } finally {
    clearTimeout(timer);
  }
  return read;
}

export const newRead = (): StreamRead => ({
  offsets: [],
  token: '',
  streamId: '',
  end: '',
  errorCode: '',
  tokens: 0,
});

/** The offsets 1..count that `offsets` misses, and how many it holds more than once. */
export function gaps(offsets: readonly number[], count: number) {
  const seen = new Set(offsets);
  return {
    missing: Array.from({ length: count }, (_, i) => i + 1).filter((o) => !seen.has(o)),
    repeated: offsets.length - seen.size,
  };
}

/** SIGTERM to a child we started (by its handle, so its PID), and waits for its exit. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
