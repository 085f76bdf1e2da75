import { randomBytes } from 'node:crypto';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { Chunk } from '../../core/types.ts';
import type { StreamMeta, StreamStore } from './store.ts';

/** How a stream's producer ended (inference_streams_total). */
export type StreamOutcome = { outcome: 'completed' } | { outcome: 'failed'; code: string };

interface Session {
  controller: AbortController;
  readers: number;
  orphanTimer: NodeJS.Timeout | undefined;
  finished: Promise<void>;
}

/**
 * Runs each resumable stream's producer independently of the connection that started it: the
 * producer writes every event to the store, and connections are readers of the store. When the
 * last reader leaves, the upstream call goes on for `resumeWindowMs` so that a resume finds the
 * whole answer; if nobody comes back by then, it is cancelled.
 */
export class StreamSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #store: StreamStore;
  readonly #resumeWindowMs: () => number;
  readonly #onEnd: (outcome: StreamOutcome) => void;

  constructor(
    store: StreamStore,
    options: { resumeWindowMs: () => number; onEnd?: (outcome: StreamOutcome) => void },
  ) {
    this.#store = store;
    this.#resumeWindowMs = options.resumeWindowMs;
    this.#onEnd = options.onEnd ?? (() => undefined);
  }

  get active(): number {
    return this.#sessions.size;
  }

  /**
   * Creates the stream and starts its producer, which drains `chunks` into the store; the
   * controller is what aborts the upstream call behind `chunks`. Readers then `attach`.
   */
  async start(
    meta: StreamMeta,
    chunks: AsyncIterable<Chunk>,
    controller: AbortController,
  ): Promise<string> {
    const streamId = randomBytes(16).toString('base64url');
    try {
      await this.#store.create(streamId, meta);
    } catch (error) {
      // Run the abandoned stream to its end so that whatever it holds (a concurrency slot) is freed.
      controller.abort(error);
      await this.#produce(streamId, chunks, controller.signal, false);
      throw error;
    }
    const session: Session = {
      controller,
      readers: 0,
      orphanTimer: undefined,
      finished: Promise.resolve(),
    };
    session.finished = this.#produce(streamId, chunks, controller.signal).finally(() => {
      clearTimeout(session.orphanTimer);
      this.#sessions.delete(streamId);
      this.#store.finish?.(streamId);
    });
    this.#sessions.set(streamId, session);
    return streamId;
  }

  /** Registers a reader; the returned function unregisters it (call it exactly once). */
  attach(streamId: string): () => void {
    const session = this.#sessions.get(streamId);
    if (session === undefined) return () => undefined;
    session.readers++;
    clearTimeout(session.orphanTimer);
    return () => {
      session.readers--;
      if (session.readers > 0) return;
      session.orphanTimer = setTimeout(() => {
        session.controller.abort(
          new ApiError('DEADLINE_EXCEEDED', 'No reader resumed the stream within its window.'),
        );
      }, this.#resumeWindowMs());
      session.orphanTimer.unref();
    };
  }

  /** Waits for every producer to finish, cancelling those still running after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    const all = Promise.all([...this.#sessions.values()].map((session) => session.finished));
    const timer = setTimeout(() => {
      for (const session of this.#sessions.values())
        session.controller.abort(
          new ApiError('SHUTTING_DOWN', 'The gateway shut down mid-stream.'),
        );
    }, graceMs);
    await all;
    clearTimeout(timer);
  }

  async #produce(
    streamId: string,
    chunks: AsyncIterable<Chunk>,
    signal: AbortSignal,
    record = true,
  ): Promise<void> {
    try {
      let completed = false;
      for await (const chunk of chunks) {
        if (!record) continue;
        if (chunk.type === 'text')
          await this.#store.append(streamId, { type: 'data', text: chunk.text });
        else {
          await this.#store.append(streamId, { type: 'done', done: chunk });
          completed = true;
        }
      }
      if (record && completed) this.#onEnd({ outcome: 'completed' });
    } catch (error) {
      if (!record) return;
      const apiError = toApiError(signal.aborted ? signal.reason : error);
      this.#onEnd({ outcome: 'failed', code: apiError.code });
      await this.#store
        .append(streamId, { type: 'error', error: apiError.toBody().error })
        .catch(() => undefined);
    }
  }
}
