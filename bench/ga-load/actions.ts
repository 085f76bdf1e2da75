/**
 * What one virtual user of the GA load does in one turn: a sync chat request, a native stream,
 * a native stream cut off mid-way and resumed with its resume token, or a batch submitted and
 * polled to completion. Each action resolves with what it measured or throws what went wrong;
 * nothing here retries.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import type { RequestSpec } from '../load/request-spec.ts';

export type ActionName = 'sync' | 'stream' | 'resume' | 'batch';

export interface Surfaces {
  pool: Pool;
  /** The OpenAI-compatible non-streaming request (tenant `acme`: budget guard and receipt on). */
  sync: RequestSpec;
  /** The native stream (`/api/v1/inference:stream`), which hands out resume tokens. */
  stream: RequestSpec;
  /** Headers of the native surface's tenant, for the resume. */
  nativeHeaders: Record<string, string>;
  /** Headers of the batch submitter (tenant `acme`, every scope). */
  batchHeaders: Record<string, string>;
  timeoutMs: number;
}

export interface Measured {
  /** Sync: send to last byte. Stream and resume: send to the first data event. */
  ms: number;
}

const withRequestId = (headers: Record<string, string>) => ({
  ...headers,
  'x-request-id': `ga-${randomUUID()}`,
});

export async function sync(s: Surfaces): Promise<Measured> {
  const started = performance.now();
  const response = await s.pool.request({
    path: s.sync.path,
    method: 'POST',
    headers: s.sync.headers,
    body: s.sync.body,
    headersTimeout: s.timeoutMs,
    bodyTimeout: s.timeoutMs,
  });
  const body = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(`sync: ${response.statusCode} ${body.slice(0, 200)}`);
  return { ms: performance.now() - started };
}

interface StreamRead {
  firstDataMs: number;
  dataEvents: number;
  resumeToken: string | undefined;
  lastId: string | undefined;
  done: boolean;
}

/**
 * Posts `body` to a native SSE path and reads it to its `done` event, or stops after
 * `stopAfterData` data events (the client going away mid-stream).
 */
async function readStream(
  s: Surfaces,
  path: string,
  headers: Record<string, string>,
  body: string,
  stopAfterData = Number.POSITIVE_INFINITY,
): Promise<StreamRead> {
  const started = performance.now();
  const controller = new AbortController();
  const response = await s.pool.request({
    path,
    method: 'POST',
    headers,
    body,
    signal: controller.signal,
    headersTimeout: s.timeoutMs,
    bodyTimeout: s.timeoutMs,
  });
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    throw new Error(`${path}: ${response.statusCode} ${text.slice(0, 200)}`);
  }
  const read: StreamRead = {
    firstDataMs: Number.NaN,
    dataEvents: 0,
    resumeToken: undefined,
    lastId: undefined,
    done: false,
  };
  let buffered = '';
  try {
    for await (const chunk of response.body) {
      buffered += (chunk as Buffer).toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.+)$/m.exec(frame)?.[1];
        const id = /^id: (.+)$/m.exec(frame)?.[1];
        if (id !== undefined) read.lastId = id;
        if (event === 'resume') read.resumeToken = /"resume_token":"([^"]+)"/.exec(frame)?.[1];
        else if (event === 'error') throw new Error(`${path}: error event ${frame.slice(0, 200)}`);
        else if (event === 'done') read.done = true;
        else if (event === 'data') {
          if (read.dataEvents === 0) read.firstDataMs = performance.now() - started;
          read.dataEvents++;
          if (read.dataEvents >= stopAfterData) {
            controller.abort();
            return read;
          }
        }
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return read;
    throw error;
  }
  return read;
}

export async function stream(s: Surfaces): Promise<Measured> {
  const read = await readStream(s, s.stream.path, withRequestId(s.stream.headers), s.stream.body);
  if (!read.done || read.dataEvents === 0) throw new Error('stream: ended without done');
  return { ms: read.firstDataMs };
}

/**
 * A stream read for a few events, dropped, then resumed from the last event id with its
 * resume token: success is the rest of the stream arriving through to `done`.
 */
export async function resume(s: Surfaces): Promise<Measured> {
  const first = await readStream(
    s,
    s.stream.path,
    withRequestId(s.stream.headers),
    s.stream.body,
    3,
  );
  if (first.resumeToken === undefined) throw new Error('resume: no resume token in the stream');
  const started = performance.now();
  const rest = await readStream(
    s,
    '/api/v1/inference:resume',
    { ...withRequestId(s.nativeHeaders), 'last-event-id': first.lastId ?? '0' },
    JSON.stringify({ resume_token: first.resumeToken }),
  );
  if (!rest.done) throw new Error('resume: the resumed stream ended without done');
  return { ms: Number.isNaN(rest.firstDataMs) ? performance.now() - started : rest.firstDataMs };
}

/** A two-item batch, submitted and polled every `pollMs` until completed (time: to completion). */
export async function batch(s: Surfaces, pollMs = 500): Promise<Measured> {
  const started = performance.now();
  const submitted = await s.pool.request({
    path: '/api/v1/batches',
    method: 'POST',
    headers: withRequestId(s.batchHeaders),
    body: JSON.stringify({
      task_id: `ga-${randomUUID()}`,
      items: [
        { messages: [{ role: 'user', content: 'Resume el informe en una frase.' }] },
        { messages: [{ role: 'user', content: 'List the three main risks.' }] },
      ],
    }),
    headersTimeout: s.timeoutMs,
    bodyTimeout: s.timeoutMs,
  });
  const text = await submitted.body.text();
  if (submitted.statusCode !== 202)
    throw new Error(`batch: ${submitted.statusCode} ${text.slice(0, 200)}`);
  const { id } = JSON.parse(text) as { id: string };
  const deadline = started + 60_000;
  while (performance.now() < deadline) {
    await sleep(pollMs);
    const polled = await s.pool.request({
      path: `/api/v1/batches/${encodeURIComponent(id)}`,
      method: 'GET',
      headers: withRequestId(s.batchHeaders),
      headersTimeout: s.timeoutMs,
      bodyTimeout: s.timeoutMs,
    });
    const view = await polled.body.text();
    if (polled.statusCode !== 200) throw new Error(`batch poll: ${polled.statusCode}`);
    const status = (JSON.parse(view) as { status?: string }).status;
    if (status === 'completed') return { ms: performance.now() - started };
    if (status === 'failed' || status === 'cancelled') throw new Error(`batch: ${status}`);
  }
  throw new Error('batch: not completed in 60 s');
}

export const ACTIONS: Record<ActionName, (s: Surfaces) => Promise<Measured>> = {
  sync,
  stream,
  resume,
  batch,
};
