/**
 * The caller's `notifications/cancelled` reaches the call it names wherever it runs. A call
 * runs on the replica that got its POST; the cancellation is another POST of the session,
 * which may reach another replica. Each replica tracks its own running calls by session and
 * request id; with Redis, a cancellation is published on `<keyPrefix>mcp:cancel` and every
 * replica aborts its match. The subscription opens with the first tracked call, so a dataplane
 * whose gateway serves no call holds no extra connection.
 */
import type { Redis } from 'ioredis';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { waitAtMost } from '../../core/wait.ts';

interface Cancel {
  session: string;
  requestId: RequestId;
  reason?: string | undefined;
}

const keyOf = (session: string, requestId: RequestId) => `${session}\n${String(requestId)}`;

export class Cancellations {
  readonly #running = new Map<string, AbortController>();
  readonly #redis: Redis | undefined;
  readonly #channel: string;
  #subscriber: Redis | undefined;
  #subscribed: Promise<unknown> | undefined;

  /** `prefix`: of the channel, read once. */
  constructor(redis: Redis | undefined, prefix: string) {
    this.#redis = redis;
    this.#channel = `${prefix}mcp:cancel`;
  }

  /**
   * A running call: its signal aborts when the caller cancels it. Waits at most `waitMs` for
   * the subscription (Redis down: the cancellation then reaches only this replica's calls).
   */
  async track(
    session: string,
    requestId: RequestId,
    waitMs: number,
  ): Promise<{ signal: AbortSignal; release(): void }> {
    const key = keyOf(session, requestId);
    const controller = new AbortController();
    this.#running.set(key, controller);
    await waitAtMost(this.#subscribe(), waitMs);
    return {
      signal: controller.signal,
      release: () => {
        if (this.#running.get(key) === controller) this.#running.delete(key);
      },
    };
  }

  /** Cancels the call on whichever replica runs it. */
  async cancel(cancel: Cancel): Promise<void> {
    if (this.#abort(cancel) || this.#redis === undefined) return;
    await this.#redis.publish(this.#channel, JSON.stringify(cancel)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#subscriber?.disconnect();
  }

  #abort({ session, requestId, reason }: Cancel): boolean {
    const controller = this.#running.get(keyOf(session, requestId));
    controller?.abort(reason ?? 'Cancelled by the caller.');
    return controller !== undefined;
  }

  #subscribe(): Promise<unknown> {
    if (this.#redis === undefined) return Promise.resolve();
    if (this.#subscribed !== undefined) return this.#subscribed;
    const subscriber = this.#redis.duplicate();
    this.#subscriber = subscriber;
    // Errors (Redis down) reconnect on their own; without a listener ioredis logs them.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      this.#abort(JSON.parse(message) as Cancel);
    });
    this.#subscribed = subscriber.subscribe(this.#channel).catch(() => undefined);
    return this.#subscribed;
  }
}
