import type { Services } from '../services.ts';
import type { StreamEvent } from '../stream/store.ts';
import { errorFrame, type DownlinkFrame, type ErrorFrame } from './frames.ts';

/** The ids every frame of a turn's answer carries. */
export interface AnswerIds {
  turn_id: string;
  session_id: string;
  stream_id: string;
}

/**
 * A stored answer's events from the start of its stream, the stream attached (its upstream call
 * kept going for a reader) while they are read; they end when `signal` aborts. The voice and the
 * XR sessions relay answers from this.
 */
export async function* answerEvents(
  services: Services,
  streamId: string,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const detach = services.sessions.attach(streamId);
  try {
    for await (const event of services.streams.tail(streamId, 0, signal)) {
      if (signal.aborted) return;
      yield event;
    }
  } finally {
    detach();
  }
}

/** The `final` frame of an answer whose whole text is `text`. */
export function answerFinal(
  ids: AnswerIds,
  text: string,
  event: Extract<StreamEvent, { type: 'done' }>,
): Extract<DownlinkFrame, { type: 'final' }> {
  const { usage } = event.done;
  return {
    type: 'final',
    source: 'answer',
    ...ids,
    text,
    offset: event.offset,
    finish_reason: event.done.finishReason,
    usage: {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cached_tokens: usage.cachedTokens,
    },
  };
}

/** The `error` frame of an answer whose stream ended in an error. */
export function answerError(
  ids: AnswerIds,
  event: Extract<StreamEvent, { type: 'error' }>,
): ErrorFrame {
  const { code, message, details } = event.error;
  return errorFrame(ids.session_id, code, message, {
    turnId: ids.turn_id,
    ...(details === undefined ? {} : { details }),
  });
}
