import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../engine/services.ts';
import type { StreamEvent } from '../engine/stream/store.ts';
import { ApiError } from '../errors/api-error.ts';
import { SseStream } from './sse.ts';

export interface StreamReplyOptions {
  /** Events sent after the first `resume` (the voice stream's `transcript`). */
  preface?: readonly { event: string; data: object }[];
  /** Long-poll: end the response this many ms after it began, with a `resume` of reason `poll`. */
  pollMs?: number;
}

/**
 * Serves a stream from the store after `afterOffset` as SSE (DESIGN §6): `data` events with the
 * offset as id, `resume` with a fresh token at the start, with every heartbeat and when the
 * gateway drains, `heartbeat`, and one terminal `done` or `error`. The connection is a reader:
 * closing it leaves the producer running for the resume window. A long-poll (`pollMs`) ends
 * early with a last `resume` whose `reason` is `poll`, which the client resumes from at once.
 */
export async function replyWithStream(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  streamId: string,
  afterOffset: number,
  options: StreamReplyOptions = {},
): Promise<void> {
  const detach = services.sessions.attach(streamId);
  const sse = new SseStream(reply, services.draining);
  const polled = options.pollMs === undefined ? undefined : AbortSignal.timeout(options.pollMs);
  const reading = polled === undefined ? sse.closed : AbortSignal.any([sse.closed, polled]);
  const events = services.streams.tail(streamId, afterOffset, reading)[Symbol.asyncIterator]();
  let offset = afterOffset;
  const id = request.id;
  const resume = (reason?: 'shutting_down' | 'poll') => ({
    resume_token: services.resumeTokens.sign({ streamId, offset }).token,
    stream_id: streamId,
    offset,
    ...(reason === undefined ? {} : { reason }),
    request_id: id,
  });
  services.metrics.activeStreams.inc();
  try {
    const first = await events.next();
    if (first.done !== true && first.value.type === 'error' && afterOffset === 0) {
      // Nothing was streamed yet: the client gets a plain HTTP error with the right status.
      const { code, message, details } = first.value.error;
      throw new ApiError(code, message, details === undefined ? {} : { details });
    }
    sse.open({ 'x-request-id': id, 'x-stream-id': streamId });
    await sse.event('resume', resume());
    for (const { event, data } of options.preface ?? [])
      await sse.event(event, { ...data, request_id: id });
    sse.heartbeat(services.snapshot().gateway.streams.heartbeatMs, () => {
      void sse.event('heartbeat', { offset, request_id: id });
      void sse.event('resume', resume());
    });
    for (let next = first; next.done !== true; next = await events.next()) {
      const event = next.value;
      offset = event.offset;
      await sse.event(event.type, { ...eventData(event), request_id: id }, event.offset);
      if (event.type !== 'data') return;
    }
    if (services.draining.aborted && sse.writable) {
      await sse.event('resume', resume('shutting_down'));
    } else if (polled?.aborted === true && sse.writable) {
      await sse.event('resume', resume('poll'));
    }
  } finally {
    services.metrics.activeStreams.dec();
    detach();
    void events.return?.();
    sse.end();
  }
}

function eventData(event: StreamEvent): object {
  switch (event.type) {
    case 'data':
      return { text: event.text };
    case 'done':
      return {
        ...(event.done.degradedFrom === undefined
          ? {}
          : { degraded_from: event.done.degradedFrom }),
        finish_reason: event.done.finishReason,
        usage: {
          input_tokens: event.done.usage.inputTokens,
          output_tokens: event.done.usage.outputTokens,
          cached_tokens: event.done.usage.cachedTokens,
        },
      };
    case 'error':
      return event.error;
  }
}
