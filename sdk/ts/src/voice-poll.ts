import { EnisError } from './errors.ts';
import type { DownlinkFrame, UplinkFrame } from './generated/voice-frames.ts';
import { DEFAULT_RETRY, send as sendRetrying, type RetryPolicy } from './retry.ts';
import type { Bearer } from './token.ts';
import type { VoiceLink, VoiceLinkEvents } from './voice-link.ts';

/** How long each long poll may wait on the gateway (its maximum). */
const WAIT_MS = 25_000;

/** Close codes a long-poll link ends with, as a socket's would. */
const GOING_AWAY = 1001;
const ABNORMAL = 1006;

interface Created {
  session_id: string;
  max_frames: number;
}

interface Polled {
  frames: { n: number; frame: DownlinkFrame }[];
  ended: boolean;
}

/**
 * The voice session over HTTP long-poll (`/api/v1/voice/polls`, docs/voice.md), for where the
 * socket cannot open: uplink frames are POSTed in order, in batches of what queued meanwhile
 * (a failed POST ends the link, since a retry could send a turn twice); downlink frames come from
 * a loop of long polls, each acknowledging the last frame delivered with `after`, retried on a
 * connection failure with the same `after` (so none is lost or delivered twice). The gateway
 * ending the session (a drain, a slow client, its idle timeout) ends the link with 1001.
 */
export async function openPollLink(
  fetcher: typeof fetch,
  bearer: Bearer,
  baseUrl: string,
  events: VoiceLinkEvents,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<VoiceLink> {
  const call = async <T>(
    method: string,
    url: string,
    options: { body?: unknown; policy?: RetryPolicy; signal?: AbortSignal } = {},
  ): Promise<T> => {
    const requestId = crypto.randomUUID();
    const response = await bearer.refreshing((token) =>
      sendRetrying(
        () =>
          fetcher(url, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              'x-request-id': requestId,
              ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          }),
        options.policy ?? retry,
        options.signal,
      ),
    );
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  const root = `${baseUrl.replace(/\/+$/, '')}/api/v1/voice/polls`;
  const created = await call<Created>('POST', root);
  return new PollLink(call, `${root}/${created.session_id}`, created.max_frames, events);
}

type Call = <T>(
  method: string,
  url: string,
  options?: { body?: unknown; policy?: RetryPolicy; signal?: AbortSignal },
) => Promise<T>;

class PollLink implements VoiceLink {
  readonly #call: Call;
  readonly #url: string;
  readonly #maxFrames: number;
  readonly #events: VoiceLinkEvents;
  readonly #stop = new AbortController();
  #queue: UplinkFrame[] = [];
  #sending = false;
  /** The last frame delivered, which the next poll acknowledges. */
  #after = 0;

  constructor(call: Call, url: string, maxFrames: number, events: VoiceLinkEvents) {
    this.#call = call;
    this.#url = url;
    this.#maxFrames = maxFrames;
    this.#events = events;
    void this.#poll();
  }

  get open(): boolean {
    return !this.#stop.signal.aborted;
  }

  send(frame: UplinkFrame): void {
    if (!this.open) return;
    this.#queue.push(frame);
    void this.#flush();
  }

  close(): void {
    if (!this.open) return;
    this.#end(1000, '');
    this.#call('DELETE', this.#url, { policy: { ...DEFAULT_RETRY, maxRetries: 0 } }).catch(
      () => undefined,
    );
  }

  async #flush(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#queue.length > 0 && this.open) {
        const batch = this.#queue.splice(0, this.#maxFrames);
        await this.#call('POST', `${this.#url}/frames`, {
          body: batch,
          policy: { ...DEFAULT_RETRY, maxRetries: 0 },
          signal: this.#stop.signal,
        });
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#sending = false;
    }
  }

  async #poll(): Promise<void> {
    try {
      while (this.open) {
        const polled = await this.#call<Polled>(
          'GET',
          `${this.#url}/frames?after=${this.#after}&wait_ms=${WAIT_MS}`,
          { signal: this.#stop.signal },
        );
        for (const { n, frame } of polled.frames) {
          // The gateway answers frames after `after` only; this holds delivery to once regardless.
          if (n <= this.#after) continue;
          this.#after = n;
          this.#events.frame(frame);
        }
        if (polled.ended) this.#end(GOING_AWAY, 'ended');
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (!this.open) return;
    // The session is gone (another replica, its idle timeout): a socket's going away.
    const gone = error instanceof EnisError && error.code === 'NOT_FOUND';
    this.#end(gone ? GOING_AWAY : ABNORMAL, error instanceof Error ? error.message : 'failed');
  }

  #end(code: number, reason: string): void {
    this.#stop.abort();
    this.#queue = [];
    this.#events.closed(code, reason);
  }
}
