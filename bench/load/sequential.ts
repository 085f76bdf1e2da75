/**
 * Closed loop over one keep-alive connection, one request at a time: the added latency of a
 * gateway without queueing, and the timing of streamed chunks.
 */
import { Client } from 'undici';
import type { RequestSpec, StreamFormat } from './request-spec.ts';

export interface SequentialResult {
  /** Send to last byte, per request. */
  samplesMs: number[];
  errors: number;
}

/** `count` requests one after another, or fewer when `maxMs` runs out. */
export async function sequentialLatency(
  spec: RequestSpec,
  count: number,
  maxMs: number,
): Promise<SequentialResult> {
  const client = new Client(spec.origin, {
    pipelining: 1,
    bodyTimeout: 10_000,
    headersTimeout: 10_000,
  });
  const samplesMs: number[] = [];
  let errors = 0;
  const deadline = performance.now() + maxMs;
  try {
    for (let i = 0; i < count && performance.now() < deadline; i++) {
      const started = performance.now();
      try {
        const response = await client.request({
          path: spec.path,
          method: 'POST',
          headers: spec.headers,
          body: spec.body,
        });
        await response.body.arrayBuffer();
        if (response.statusCode === 200) samplesMs.push(performance.now() - started);
        else errors++;
      } catch {
        errors++;
      }
    }
  } finally {
    await client.close();
  }
  return { samplesMs, errors };
}

export interface StreamTiming {
  /** Send to the first event that carries content, per stream. */
  ttftMs: number[];
  /** Between consecutive content events of one stream, every stream's gaps together. */
  gapsMs: number[];
  /** Content events per stream (a filter that holds text back merges chunks). */
  contentEvents: number[];
  errors: number;
}

/** `count` streams one after another over one connection, or fewer when `maxMs` runs out. */
export async function streamTiming(
  spec: RequestSpec,
  format: StreamFormat,
  count: number,
  maxMs: number,
): Promise<StreamTiming> {
  const client = new Client(spec.origin, {
    pipelining: 1,
    bodyTimeout: 10_000,
    headersTimeout: 10_000,
  });
  const result: StreamTiming = { ttftMs: [], gapsMs: [], contentEvents: [], errors: 0 };
  const deadline = performance.now() + maxMs;
  try {
    for (let i = 0; i < count && performance.now() < deadline; i++) {
      const started = performance.now();
      try {
        const response = await client.request({
          path: spec.path,
          method: 'POST',
          headers: spec.headers,
          body: spec.body,
        });
        if (response.statusCode !== 200) {
          await response.body.arrayBuffer();
          result.errors++;
          continue;
        }
        const arrivals: number[] = [];
        let buffered = '';
        let finished = false;
        for await (const part of response.body) {
          const at = performance.now();
          buffered += (part as Buffer).toString('utf8');
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const frame = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const kind = classify(frame, format);
            if (kind === 'content') arrivals.push(at);
            else if (kind === 'end') finished = true;
          }
        }
        if (!finished || arrivals.length === 0) {
          result.errors++;
          continue;
        }
        result.ttftMs.push(arrivals[0]! - started);
        for (let k = 1; k < arrivals.length; k++)
          result.gapsMs.push(arrivals[k]! - arrivals[k - 1]!);
        result.contentEvents.push(arrivals.length);
      } catch {
        result.errors++;
      }
    }
  } finally {
    await client.close();
  }
  return result;
}

/** Whether an SSE frame carries answer text, ends the stream, or is something else. */
export function classify(frame: string, format: StreamFormat): 'content' | 'end' | 'other' {
  if (format === 'native') {
    if (/^event: data$/m.test(frame)) return 'content';
    if (/^event: (done|error)$/m.test(frame)) return 'end';
    return 'other';
  }
  const data = /^data: (.*)$/m.exec(frame)?.[1];
  if (data === undefined) return 'other';
  if (data === '[DONE]') return 'end';
  // Cheaper than JSON.parse for every chunk: a content delta with at least one character.
  return /"delta":\{[^}]*"content":"[^"]/.test(data) ? 'content' : 'other';
}
