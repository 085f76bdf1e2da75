import { errorFrame, type DownlinkFrame, type ErrorFrame } from '../engine/voice/frames.ts';
import { ApiError } from '../errors/api-error.ts';

/** A downlink frame with its number in the session (1, 2, …), as a long poll returns it. */
export interface NumberedFrame {
  n: number;
  frame: DownlinkFrame;
}

/** What one long poll answers: the frames after the client's `after`, and whether more may come. */
export interface PollAnswer {
  frames: NumberedFrame[];
  /** The session has ended: no frame comes after these. */
  ended: boolean;
}

/**
 * The one writer of a long-polled voice session, as WsChannel is a socket's: downlink frames are
 * numbered and kept until a poll's `after` acknowledges them, so a poll repeated after a lost
 * answer gets the same frames and none is lost or repeated once `after` moves on. The unread
 * frames are bounded: once they would pass `maxBufferedBytes` (a client that stopped polling),
 * the client is told with an OVERLOADED `slow_consumer` error frame, its last, and the session
 * ends. `closed` aborts when it ends (that, a DELETE, the idle timeout or a drain).
 */
export class PollChannel {
  readonly #sessionId: string;
  readonly #maxBufferedBytes: number;
  readonly #closed = new AbortController();
  /** Unacknowledged frames, in order, with their JSON sizes. */
  #frames: (NumberedFrame & { bytes: number })[] = [];
  #bytes = 0;
  /** The number of the last frame sent; every frame up to `#acknowledged` was read. */
  #last = 0;
  #acknowledged = 0;
  readonly #waiters = new Set<() => void>();

  constructor(sessionId: string, maxBufferedBytes: number) {
    this.#sessionId = sessionId;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Aborted when the session ends; no frame is sent after it. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Queues a frame for the next poll; a client too far behind gets its last frame instead. */
  send(frame: DownlinkFrame): void {
    if (this.#closed.signal.aborted) return;
    const bytes = Buffer.byteLength(JSON.stringify(frame));
    if (this.#bytes + bytes > this.#maxBufferedBytes) {
      this.end(
        errorFrame(
          this.#sessionId,
          'OVERLOADED',
          'The client does not read its frames fast enough.',
          {
            details: { reason: 'slow_consumer', limit_bytes: this.#maxBufferedBytes },
          },
        ),
      );
      return;
    }
    this.#push(frame, bytes);
  }

  /** Ends the session, with `last` as its last frame (beyond the bound) when given. */
  end(last?: ErrorFrame): void {
    if (this.#closed.signal.aborted) return;
    if (last !== undefined) this.#push(last, Buffer.byteLength(JSON.stringify(last)));
    this.#closed.abort();
    this.#wake();
  }

  /**
   * The frames numbered after `after`, which acknowledges every frame up to it: at once when
   * there are some or the session has ended, else when one comes, `waitMs` passed or `gone`
   * aborted (the client left). An `after` below what was acknowledged or beyond the last
   * frame sent is a BAD_REQUEST: frames would be lost.
   */
  async poll(after: number, waitMs: number, gone: AbortSignal): Promise<PollAnswer> {
    if (after < this.#acknowledged || after > this.#last)
      throw new ApiError(
        'BAD_REQUEST',
        `after must be between ${this.#acknowledged} (acknowledged) and ${this.#last} (the last frame sent).`,
        {
          details: {
            path: 'querystring.after',
            acknowledged: this.#acknowledged,
            last: this.#last,
          },
        },
      );
    this.#acknowledge(after);
    if (this.#frames.length === 0 && !this.#closed.signal.aborted && !gone.aborted)
      await this.#wait(waitMs, gone);
    return {
      frames: this.#frames.map(({ n, frame }) => ({ n, frame })),
      ended: this.#closed.signal.aborted,
    };
  }

  #push(frame: DownlinkFrame, bytes: number): void {
    this.#frames.push({ n: ++this.#last, frame, bytes });
    this.#bytes += bytes;
    this.#wake();
  }

  #acknowledge(after: number): void {
    const kept = this.#frames.findIndex(({ n }) => n > after);
    const dropped = kept === -1 ? this.#frames.splice(0) : this.#frames.splice(0, kept);
    for (const { bytes } of dropped) this.#bytes -= bytes;
    this.#acknowledged = after;
  }

  #wait(waitMs: number, gone: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        gone.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      gone.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
