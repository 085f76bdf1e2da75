import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

/** The SSE events of a response body, as they arrive (none for an answer without a body). */
export async function* readEvents(
  body: ReadableStream<Uint8Array> | null,
): AsyncGenerator<EventSourceMessage> {
  if (body === null) return;
  const reader = body
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
