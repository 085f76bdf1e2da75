import type { EventSourceMessage } from 'eventsource-parser';
import { EnisError, type ErrorBody } from './errors.ts';
import { backoffMs, sleep, type RetryPolicy } from './retry.ts';
import { readEvents, wholeEvents, type Watchdog } from './sse.ts';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
}

/**
 * What a stream yields: its text chunks in order (`offset` 1, 2, …), then one `done`; each
 * `resume` token the gateway sends, for a client that wants to resume in another process; and
 * on a voice stream, the utterance's `transcript` first (`sttMs`: its transcription's time).
 */
export type StreamEvent =
  | { type: 'resume'; token: string; offset: number }
  | { type: 'transcript'; text: string; sttMs: number }
  | { type: 'text'; text: string; offset: number }
  | { type: 'done'; finish_reason: string; usage: Usage; offset: number };

export interface ResumeOptions {
  /** Reconnections in a row without a new event before the stream fails. @default 5 */
  maxResumes?: number;
}

/**
 * How a stream's responses are read:
 * - `sse`: each as it arrives, through the heartbeat watchdog: no byte for
 *   `heartbeatTimeoutMs` is a dead connection, closed and resumed;
 * - `poll`: the fetch loop: each response read to its end, then `:resume` after the last
 *   event, as a long-poll (`poll_ms`: the gateway ends each response after `pollMs`), until
 *   `done` (for a runtime without streamed bodies, or a proxy that buffers);
 * - `auto`: `sse`, falling back to `poll` for the rest of the stream when a response has no
 *   streamed body or stays silent from its first byte past the timeout (its bytes are then
 *   awaited, not dropped). A connection cut after its first byte is resumed as with `sse`.
 */
export type Transport = 'sse' | 'poll' | 'auto';

export interface StreamOptions {
  /** @default 'auto' */
  transport?: Transport;
  /**
   * Silence after which a streamed response is taken as dead: 2.5 times the gateway's
   * heartbeat (`streams.heartbeatMs`, 15 s by default). @default 37500
   */
  heartbeatTimeoutMs?: number;
  /** How long each long-poll response of the fetch loop lasts at most (100 to 60000). @default 2000 */
  pollMs?: number;
  /**
   * Long-polls in a row that the gateway ended on time without a new event before the stream
   * fails with `StreamExhaustedError` (2 minutes at the default `pollMs`). @default 60
   */
  maxQuietPolls?: number;
}

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 37_500;
export const DEFAULT_POLL_MS = 2000;
export const DEFAULT_MAX_QUIET_POLLS = 60;

/**
 * A stream given up on after event `offset`: `resumes`, the reconnections after cuts
 * (`maxResumes`), or `polls`, the long-polls without a new event (`maxQuietPolls`), ran out.
 */
export class StreamExhaustedError extends Error {
  override readonly name = 'StreamExhaustedError';
  readonly offset: number;
  readonly exhausted: 'resumes' | 'polls';

  constructor(offset: number, exhausted: 'resumes' | 'polls', cause?: unknown) {
    super(
      exhausted === 'polls'
        ? `The stream had no new event after event ${offset} in its long-polls in a row.`
        : `The stream ended after event ${offset} and could not be resumed.`,
      { cause },
    );
    this.offset = offset;
    this.exhausted = exhausted;
  }
}

/**
 * Opens `:resume` for a token, from the event after `lastEventId`; with `pollMs`, as a
 * long-poll the gateway ends after that long.
 */
export type Resume = (token: string, lastEventId: number, pollMs?: number) => Promise<Response>;

/**
 * The events of an inference stream, resumed automatically: when the connection ends before
 * `done` (the replica drained, the network dropped it, the watchdog found it silent), it
 * reconnects after a backoff with the latest resume token and `Last-Event-ID`, and skips any
 * event it already yielded, so every chunk arrives once and in order. A mid-stream `error`
 * event is thrown as an EnisError.
 */
export async function* resumingStream(
  first: Response,
  resume: Resume,
  policy: RetryPolicy & ResumeOptions,
  options: StreamOptions,
  signal: AbortSignal | undefined,
): AsyncGenerator<StreamEvent> {
  const transport = options.transport ?? 'auto';
  let polling = transport === 'poll';
  const watchdog: Watchdog = {
    idleMs: options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    silentFromStart: () => {
      if (transport === 'auto') polling = true;
      return polling;
    },
  };
  /** A response's events, read as the transport says (in `auto`, the fetch loop once fallen back). */
  async function* eventsOf(response: Response): AsyncGenerator<EventSourceMessage> {
    if (response.body === null && transport === 'auto') polling = true;
    if (polling) yield* await wholeEvents(response);
    else yield* readEvents(response.body, watchdog);
  }
  let response = first;
  let token: string | undefined;
  let offset = 0;
  let quietPolls = 0;
  const maxQuietPolls = options.maxQuietPolls ?? DEFAULT_MAX_QUIET_POLLS;
  for (let quiet = 0; ; quiet++) {
    // A long-poll the gateway ended on time is no cut: the next one starts at once.
    let polled = false;
    const before = offset;
    if (transport === 'sse' && response.body === null)
      throw new Error("The runtime gives no streamed body: use transport 'poll' or 'auto'.");
    let cut: unknown;
    try {
      for await (const event of eventsOf(response)) {
        const data = JSON.parse(event.data) as Record<string, unknown>;
        if (event.event === 'resume') {
          token = data['resume_token'] as string;
          polled = data['reason'] === 'poll';
          yield { type: 'resume', token, offset: data['offset'] as number };
        }
        if (event.event === 'transcript')
          yield {
            type: 'transcript',
            text: data['text'] as string,
            sttMs: data['stt_ms'] as number,
          };
        if (event.event === 'error') throw new EnisError(data as unknown as ErrorBody, 200);
        const at = Number(event.id);
        if (event.id === undefined || at <= offset) continue;
        offset = at;
        quiet = 0;
        if (event.event === 'data') yield { type: 'text', text: data['text'] as string, offset };
        if (event.event === 'done') {
          const { finish_reason, usage } = data as { finish_reason: string; usage: Usage };
          yield { type: 'done', finish_reason, usage, offset };
          return;
        }
      }
    } catch (error) {
      // A cut connection surfaces as a read error; anything else is the caller's to see.
      if (error instanceof EnisError || signal?.aborted === true) throw error;
      cut = error;
    }
    const pollMs = polling ? (options.pollMs ?? DEFAULT_POLL_MS) : undefined;
    if (polled && cut === undefined && token !== undefined) {
      quietPolls = offset === before ? quietPolls + 1 : 0;
      if (quietPolls >= maxQuietPolls) throw new StreamExhaustedError(offset, 'polls');
      quiet = -1;
      response = await resume(token, offset, pollMs);
      continue;
    }
    if (token === undefined || quiet >= (policy.maxResumes ?? 5))
      throw new StreamExhaustedError(offset, 'resumes', cut);
    await sleep(backoffMs(policy, quiet), signal);
    response = await resume(token, offset, pollMs);
  }
}
