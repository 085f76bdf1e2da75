import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** No byte of a stream arrived for `idleMs`: its connection is taken as dead. */
export class StalledError extends Error {
  override readonly name = 'StalledError';

  constructor(idleMs: number, bytes: number) {
    super(`No byte of the stream arrived for ${idleMs} ms (after ${bytes} bytes).`);
  }
}

/** The heartbeat watchdog of one connection. */
export interface Watchdog {
  /** Silence (not one byte) for this long fails the read with a StalledError. */
  idleMs: number;
  /**
   * Asked when a connection goes silent before its first byte; `true` waits for its bytes
   * however long they take (something in between buffers the response) instead of failing.
   */
  silentFromStart?: () => boolean;
}

/**
 * The SSE events of a response body, as they arrive (none for an answer without a body); with
 * a watchdog, a read fails with a StalledError when no byte arrives in time.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array> | null,
  watchdog?: Watchdog,
): AsyncGenerator<EventSourceMessage> {
  if (body === null) return;
  const reader = (watchdog === undefined ? body : watched(body, watchdog))
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

/** The SSE events of a whole response, read to its end first (the fetch loop's read). */
export async function wholeEvents(response: Response): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
    },
  });
  parser.feed(await response.text());
  return events;
}

const STALLED = Symbol('stalled');

/**
 * The body's bytes, each read raced against the watchdog: the timer runs only while the reader
 * waits for bytes, so a consumer that is slow to read is never taken for a dead connection.
 */
function watched(body: ReadableStream<Uint8Array>, watchdog: Watchdog): ReadableStream<Uint8Array> {
  const source = body.getReader();
  let bytes = 0;
  let patient = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = source.read();
      let result = patient ? await read : await within(read, watchdog.idleMs);
      if (result === STALLED) {
        if (bytes > 0 || watchdog.silentFromStart?.() !== true) {
          await source.cancel().catch(() => undefined);
          throw new StalledError(watchdog.idleMs, bytes);
        }
        patient = true;
        result = await read;
      }
      if (result.done) {
        controller.close();
        return;
      }
      bytes += result.value.byteLength;
      controller.enqueue(result.value);
    },
    cancel: (reason: unknown) => source.cancel(reason),
  });
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof STALLED> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<typeof STALLED>((resolve) => {
    timer = setTimeout(resolve, ms, STALLED);
  });
  try {
    return await Promise.race([promise, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
