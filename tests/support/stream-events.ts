import type { StreamEvent } from '../../dataplane/src/engine/stream/store.ts';

/** A terminal `done` event, as a stream store is given it. */
export const doneEvent = {
  type: 'done' as const,
  done: {
    type: 'done' as const,
    finishReason: 'stop' as const,
    usage: { inputTokens: 1, outputTokens: 2, cachedTokens: 0 },
  },
};

/** Every event of a finite tail. */
export async function collectEvents(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}
