/**
 * A bounded window of one kind of sample (head pose, gaze ray, a hand's pose), ordered by the
 * client's `ts`: older than `windowMs` behind the newest, or past `capacity`, a sample falls
 * out. `at(ts)` is the sample interpolated at a moment, the fusion's view of the past.
 *
 * The samples are kept as numbers in a ring of `Float64Array`s, not as the frames' objects: a
 * window holds seconds of frames, and objects that live that long survive the young
 * generation's collections, which then copy every one of them (at 100 sessions and 30 Hz, 20 ms
 * pauses every 2 s: docs/benchmarks.md, "XR"). A frame's objects now die young.
 */

/** How a sample is written as `width` numbers and read back. */
export interface Codec<T> {
  readonly width: number;
  write(value: T, into: Float64Array, at: number): void;
  read(from: Float64Array, at: number): T;
}

/** The ring's first size; it doubles up to the track's capacity. */
const INITIAL_CAPACITY = 32;

export class Track<T> {
  readonly #codec: Codec<T>;
  readonly #mix: (a: T, b: T, t: number) => T;
  readonly #windowMs: number;
  readonly #capacity: number;
  #ts: Float64Array;
  #values: Float64Array;
  /** The ring slot of the oldest sample. */
  #start = 0;
  #size = 0;

  /**
   * @param codec writes a sample as numbers and reads it back
   * @param mix interpolates two samples, `t` in [0, 1]
   * @param windowMs how far behind the newest sample the window reaches
   * @param capacity the most samples kept, whatever their times
   */
  constructor(
    codec: Codec<T>,
    mix: (a: T, b: T, t: number) => T,
    windowMs: number,
    capacity: number,
  ) {
    this.#codec = codec;
    this.#mix = mix;
    this.#windowMs = windowMs;
    this.#capacity = capacity;
    const slots = Math.min(INITIAL_CAPACITY, capacity);
    this.#ts = new Float64Array(slots);
    this.#values = new Float64Array(slots * codec.width);
  }

  get size(): number {
    return this.#size;
  }

  /** The newest sample's `ts`, or -Infinity when empty. */
  get newest(): number {
    return this.#size === 0 ? Number.NEGATIVE_INFINITY : this.#tsAt(this.#size - 1);
  }

  /** The samples, oldest first (what a session's copy for another replica holds). */
  samples(): { ts: number; value: T }[] {
    return Array.from({ length: this.#size }, (_, index) => ({
      ts: this.#tsAt(index),
      value: this.#valueAt(index),
    }));
  }

  /** Appends a sample; returns false (and keeps nothing) when `ts` is not after the newest. */
  push(ts: number, value: T): boolean {
    if (ts <= this.newest) return false;
    if (this.#size === this.#capacity) this.#dropOldest();
    else if (this.#size === this.#ts.length) this.#grow();
    const slot = (this.#start + this.#size) % this.#ts.length;
    this.#ts[slot] = ts;
    this.#codec.write(value, this.#values, slot * this.#codec.width);
    this.#size++;
    while (this.#size > 1 && this.#tsAt(0) < ts - this.#windowMs) this.#dropOldest();
    return true;
  }

  /**
   * The sample at `ts`: interpolated between the two that bracket it, the nearest end when it
   * lies outside the window by at most `holdMs`, else undefined (no evidence then).
   */
  at(ts: number, holdMs: number): T | undefined {
    if (this.#size === 0) return undefined;
    const first = this.#tsAt(0);
    const last = this.#tsAt(this.#size - 1);
    if (ts <= first) return first - ts <= holdMs ? this.#valueAt(0) : undefined;
    if (ts >= last) return ts - last <= holdMs ? this.#valueAt(this.#size - 1) : undefined;
    let low = 0;
    let high = this.#size - 1;
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if (this.#tsAt(mid) <= ts) low = mid;
      else high = mid;
    }
    const before = this.#tsAt(low);
    const after = this.#tsAt(high);
    return this.#mix(this.#valueAt(low), this.#valueAt(high), (ts - before) / (after - before));
  }

  clear(): void {
    this.#start = 0;
    this.#size = 0;
  }

  /** The `index`-th sample's slot in the ring, oldest first. */
  #slot(index: number): number {
    return (this.#start + index) % this.#ts.length;
  }

  #tsAt(index: number): number {
    return this.#ts[this.#slot(index)] ?? Number.NaN;
  }

  #valueAt(index: number): T {
    return this.#codec.read(this.#values, this.#slot(index) * this.#codec.width);
  }

  #dropOldest(): void {
    this.#start = (this.#start + 1) % this.#ts.length;
    this.#size--;
  }

  /** Doubles the ring (up to the capacity), the samples moved to its start in order. */
  #grow(): void {
    const slots = Math.min(this.#capacity, this.#ts.length * 2);
    const width = this.#codec.width;
    const ts = new Float64Array(slots);
    const values = new Float64Array(slots * width);
    for (let index = 0; index < this.#size; index++) {
      const slot = this.#slot(index);
      ts[index] = this.#ts[slot] ?? Number.NaN;
      values.set(this.#values.subarray(slot * width, (slot + 1) * width), index * width);
    }
    this.#ts = ts;
    this.#values = values;
    this.#start = 0;
  }
}
