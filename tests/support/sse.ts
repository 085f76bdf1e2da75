/** One parsed Server-Sent Event. */
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Parses an SSE body (what a browser's EventSource would see), frame by frame. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncIterable<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      for (const line of frame.split('\n')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
        else if (field === 'data')
          event.data = event.data === '' ? value : `${event.data}\n${value}`;
      }
      yield event;
    }
  }
}
