import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../engine/services.ts';
import { ActionExtractor, type Extracted } from '../engine/xr/actions.ts';
import type { XrMetrics } from '../engine/xr/metrics.ts';
import { ApiError } from '../errors/api-error.ts';
import { SseStream } from './sse.ts';

/** The stream's heartbeat at most this far apart, whatever `streams.heartbeatMs` says. */
export const XR_HEARTBEAT_MS = 1000;

export interface XrRelay {
  streamId: string;
  /** Events of the stored chunks up to this offset were delivered already: not sent again. */
  after: number;
  /** The anchor ids an action may name (the scene's). */
  known: ReadonlySet<string>;
  /** Events sent after `resume`, before the answer (the live stream's `referent`). */
  preface: readonly { event: string; data: object }[];
}

/**
 * Serves an XR answer as SSE through the one SSE writer: its text with the actions taken out
 * (`data`), each valid action as an `action` event (an invalid one dropped and counted), a
 * heartbeat at least every second so the stream is never silent for 2 s, and one `done` or
 * `error`. The stored text is read from its start every time, so the extraction is the same
 * whatever the offset; only what a chunk after `after` gives is sent. Of a chunk's events only
 * the last carries the chunk's offset as its id: a client cut off between them resumes before
 * that chunk (`Last-Event-ID`) and gets all of them once.
 */
export async function relayXrAnswer(
  services: Services,
  metrics: XrMetrics,
  request: FastifyRequest,
  reply: FastifyReply,
  relay: XrRelay,
): Promise<void> {
  const { streamId, after, known } = relay;
  const detach = services.sessions.attach(streamId);
  const sse = new SseStream(reply, services.draining);
  const events = services.streams.tail(streamId, 0, sse.closed)[Symbol.asyncIterator]();
  const extractor = new ActionExtractor((id) => known.has(id));
  const id = request.id;
  let offset = after;
  const send = async (extracted: Extracted, at: number, terminal?: [string, object]) => {
    if (at <= after) return;
    const out: [string, object][] = [];
    if (extracted.text !== '') out.push(['data', { text: extracted.text }]);
    for (const action of extracted.actions) out.push(['action', { action }]);
    if (terminal !== undefined) out.push(terminal);
    for (const reason of extracted.dropped) metrics.actionsDropped.inc({ reason });
    for (const [index, [name, data]] of out.entries())
      await sse.event(name, { ...data, request_id: id }, index === out.length - 1 ? at : undefined);
  };
  services.metrics.activeStreams.inc();
  try {
    const first = await events.next();
    if (first.done !== true && first.value.type === 'error' && after === 0) {
      // Nothing was streamed yet: the client gets a plain HTTP error with the right status.
      const { code, message, details } = first.value.error;
      throw new ApiError(code, message, details === undefined ? {} : { details });
    }
    sse.open({ 'x-request-id': id, 'x-stream-id': streamId });
    await sse.event('resume', {
      resume_token: services.resumeTokens.sign({ streamId, offset: after }).token,
      stream_id: streamId,
      offset: after,
      request_id: id,
    });
    for (const { event, data } of relay.preface)
      await sse.event(event, { ...data, request_id: id });
    const heartbeatMs = Math.min(services.snapshot().gateway.streams.heartbeatMs, XR_HEARTBEAT_MS);
    sse.heartbeat(heartbeatMs, () => {
      void sse.event('heartbeat', { offset, request_id: id });
    });
    for (let next = first; next.done !== true; next = await events.next()) {
      const event = next.value;
      offset = Math.max(offset, event.offset);
      if (event.type === 'data') {
        await send(extractor.push(event.text), event.offset);
        continue;
      }
      if (event.type === 'done') {
        const { usage } = event.done;
        await send(extractor.finish(), event.offset, [
          'done',
          {
            finish_reason: event.done.finishReason,
            usage: {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              cached_tokens: usage.cachedTokens,
            },
          },
        ]);
      } else
        await send({ text: '', actions: [], dropped: [] }, event.offset, ['error', event.error]);
      return;
    }
  } finally {
    services.metrics.activeStreams.dec();
    detach();
    void events.return?.();
    sse.end();
  }
}
