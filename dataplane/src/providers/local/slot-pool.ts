/**
 * A fixed set of slots (a llama.cpp context's sequences) lent one request at a time, with a
 * bounded FIFO queue of requests waiting for one. A request that finds every slot busy and
 * the queue full is refused at once (`acquire` returns undefined): a local model has no
 * elastic capacity, so a queue without a bound only turns overload into timeouts.
 */
export class SlotPool<Slot> {
  readonly #free: Slot[];
  readonly #waiting: { resolve: (slot: Slot) => void }[] = [];
  readonly #maxQueue: number;
  readonly size: number;

  constructor(slots: readonly Slot[], maxQueue: number) {
    this.#free = [...slots];
    this.size = slots.length;
    this.#maxQueue = maxQueue;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * A free slot, or a promise of the next one to be released; undefined when the queue is
   * full. An abort while waiting leaves the queue and rejects with the signal's reason.
   */
  acquire(signal: AbortSignal): Promise<Slot> | undefined {
    signal.throwIfAborted();
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#waiting.length >= this.#maxQueue) return undefined;
    return new Promise<Slot>((resolve, reject) => {
      const waiter = {
        resolve: (slot: Slot) => {
          signal.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Gives a slot back: to the longest-waiting request, or to the free list. */
  release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free.push(slot);
    else next.resolve(slot);
  }
}
