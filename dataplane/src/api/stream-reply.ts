import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../engine/services.ts';
import type { StreamEvent } from '../engine/stream/store.ts';
import { ApiError } from '../errors/api-error.ts';
import { SseWriter } from './sse.ts';

/**
 * Serves a stream from the store after `afterOffset` as SSE (DESIGN §6): `data` events with the
 * offset as id, `resume` with a fresh token at the start, with every heartbeat and when the
 * gateway drains, `heartbeat`, and one terminal `done` or `error`. The connection is a reader:
 * closing it leaves the producer running for the resume window.
 */
export async function replyWithStream(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  streamId: string,
  afterOffset: number,
): Promise<void> {
  const detach = services.sessions.attach(streamId);
  const closed = new AbortController();
  const stop = () => {
    closed.abort();
  };
  reply.raw.on('close', stop);
  services.draining.addEventListener('abort', stop, { once: true });
  const events = services.streams
    .tail(streamId, afterOffset, closed.signal)
    [Symbol.asyncIterator]();
  let offset = afterOffset;
  const resume = () => services.resumeTokens.sign({ streamId, offset }).token;
  const writer = new SseWriter(reply.raw);
  const { heartbeatMs } = services.snapshot().gateway.streams;
  let heartbeat: NodeJS.Timeout | undefined;
  let hijacked = false;
  const id = request.id;
  services.metrics.activeStreams.inc();
  try {
    const first = await events.next();
    if (first.done !== true && first.value.type === 'error' && afterOffset === 0) {
      // Nothing was streamed yet: the client gets a plain HTTP error with the right status.
      const { code, message, details } = first.value.error;
      throw new ApiError(code, message, details === undefined ? {} : { details });
    }
    reply.hijack();
    hijacked = true;
    writer.open({ 'x-request-id': request.id, 'x-stream-id': streamId });
    await writer.event('resume', {
      resume_token: resume(),
      stream_id: streamId,
      offset,
      request_id: id,
    });
    heartbeat = setInterval(() => {
      void writer.event('heartbeat', { offset, request_id: id });
      void writer.event('resume', {
        resume_token: resume(),
        stream_id: streamId,
        offset,
        request_id: id,
      });
    }, heartbeatMs);
    let next = first;
    while (next.done !== true) {
      const event = next.value;
      offset = event.offset;
      await writer.event(event.type, { ...eventData(event), request_id: id }, event.offset);
      if (event.type !== 'data') return;
      next = await events.next();
    }
    if (services.draining.aborted && !writer.closed) {
      await writer.event('resume', {
        resume_token: resume(),
        stream_id: streamId,
        offset,
        reason: 'shutting_down',
        request_id: id,
      });
    }
  } finally {
    clearInterval(heartbeat);
    reply.raw.off('close', stop);
    services.draining.removeEventListener('abort', stop);
    services.metrics.activeStreams.dec();
    detach();
    void events.return?.();
    if (hijacked) writer.end();
  }
}

function eventData(event: StreamEvent): object {
  switch (event.type) {
    case 'data':
      return { text: event.text };
    case 'done':
      return {
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
