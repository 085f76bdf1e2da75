/**
 * A bounded window of one kind of sample (head pose, gaze ray, a hand's pose), ordered by the
 * client's `ts`: older than `windowMs` behind the newest, or past `capacity`, a sample falls
 * out. `at(ts)` is the sample interpolated at a moment, the fusion's view of the past.
 */
export class Track<T> {
  readonly #samples: { ts: number; value: T }[] = [];
  readonly #windowMs: number;
  readonly #capacity: number;
  readonly #mix: (a: T, b: T, t: number) => T;

  /**
   * @param mix interpolates two samples, `t` in [0, 1]
   * @param windowMs how far behind the newest sample the window reaches
   * @param capacity the most samples kept, whatever their times
   */
  constructor(mix: (a: T, b: T, t: number) => T, windowMs: number, capacity: number) {
    this.#mix = mix;
    this.#windowMs = windowMs;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#samples.length;
  }

  /** The newest sample's `ts`, or -Infinity when empty. */
  get newest(): number {
    return this.#samples.at(-1)?.ts ?? Number.NEGATIVE_INFINITY;
  }

  /** The samples, oldest first (what a session's copy for another replica holds). */
  samples(): readonly { ts: number; value: T }[] {
    return this.#samples;
  }

  /** Appends a sample; returns false (and keeps nothing) when `ts` is not after the newest. */
  push(ts: number, value: T): boolean {
    if (ts <= this.newest) return false;
    const samples = this.#samples;
    samples.push({ ts, value });
    let drop = Math.max(0, samples.length - this.#capacity);
    while (drop < samples.length - 1 && (samples[drop]?.ts ?? ts) < ts - this.#windowMs) drop++;
    if (drop > 0) samples.splice(0, drop);
    return true;
  }

  /**
   * The sample at `ts`: interpolated between the two that bracket it, the nearest end when it
   * lies outside the window by at most `holdMs`, else undefined (no evidence then).
   */
  at(ts: number, holdMs: number): T | undefined {
    const samples = this.#samples;
    const first = samples[0];
    const last = samples.at(-1);
    if (first === undefined || last === undefined) return undefined;
    if (ts <= first.ts) return first.ts - ts <= holdMs ? first.value : undefined;
    if (ts >= last.ts) return ts - last.ts <= holdMs ? last.value : undefined;
    let low = 0;
    let high = samples.length - 1;
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if ((samples[mid]?.ts ?? ts) <= ts) low = mid;
      else high = mid;
    }
    const before = samples[low] ?? first;
    const after = samples[high] ?? last;
    return this.#mix(before.value, after.value, (ts - before.ts) / (after.ts - before.ts));
  }

  clear(): void {
    this.#samples.length = 0;
  }
}
