import { ApiError } from '../../errors/api-error.ts';
import {
  isTerminal,
  type DistributiveOmit,
  type StreamEvent,
  type StreamMeta,
  type StreamStore,
} from './store.ts';

interface Entry {
  meta: StreamMeta;
  events: StreamEvent[];
  wake: Set<() => void>;
  expiresAt: number;
}

/**
 * The single-process resume buffer. Memory is bounded per stream (`maxEvents`) and in time
 * (`ttlMs` after the last write); a slow reader costs nothing extra because readers are
 * cursors over the same array.
 */
export class MemoryStreamStore implements StreamStore {
  readonly #streams = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEvents: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: { ttlMs?: number; maxEvents?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#maxEvents = options.maxEvents ?? 20_000;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(
      () => {
        this.sweep();
      },
      Math.min(this.#ttlMs, 30_000),
    );
    this.#sweeper.unref();
  }

  /** Drops expired streams; runs on a timer, exposed for tests. */
  sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#streams) if (entry.expiresAt <= now) this.#streams.delete(id);
  }

  get size(): number {
    return this.#streams.size;
  }

  create(streamId: string, meta: StreamMeta): Promise<void> {
    this.#streams.set(streamId, {
      meta,
      events: [],
      wake: new Set(),
      expiresAt: this.#now() + this.#ttlMs,
    });
    return Promise.resolve();
  }

  meta(streamId: string): Promise<StreamMeta | undefined> {
    return Promise.resolve(this.#live(streamId)?.meta);
  }

  append(streamId: string, event: DistributiveOmit<StreamEvent, 'offset'>): Promise<number> {
    const entry = this.#live(streamId);
    if (entry === undefined) throw new ApiError('INTERNAL', `Stream ${streamId} is not open.`);
    if (entry.events.length >= this.#maxEvents && event.type === 'data') {
      throw new ApiError('INTERNAL', `Stream ${streamId} exceeded ${this.#maxEvents} events.`);
    }
    const offset = entry.events.length + 1;
    entry.events.push({ ...event, offset });
    entry.expiresAt = this.#now() + this.#ttlMs;
    for (const wake of entry.wake) wake();
    entry.wake.clear();
    return Promise.resolve(offset);
  }

  async *tail(
    streamId: string,
    afterOffset: number,
    signal: AbortSignal,
  ): AsyncIterable<StreamEvent> {
    const entry = this.#live(streamId);
    if (entry === undefined) return;
    let next = afterOffset;
    while (!signal.aborted && !this.#closed) {
      while (next < entry.events.length) {
        const event = entry.events[next++];
        if (event === undefined) break;
        yield event;
        if (isTerminal(event)) return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          entry.wake.delete(done);
          resolve();
        };
        entry.wake.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const entry of this.#streams.values()) for (const wake of entry.wake) wake();
    this.#streams.clear();
    return Promise.resolve();
  }

  #live(streamId: string): Entry | undefined {
    const entry = this.#streams.get(streamId);
    if (entry === undefined || entry.expiresAt <= this.#now()) return undefined;
    return entry;
  }
}
