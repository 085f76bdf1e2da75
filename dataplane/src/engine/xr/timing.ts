/**
 * Frame timing for one session (docs/xr.md, "Timing"): a clock-offset estimate between the
 * client's `ts` and the gateway's arrival clock, and per stream of frames its jitter and the
 * frames it refused. A frame is admitted only if it is newer than the last one of its stream
 * (never processed out of order) and younger than `maxAgeMs` (never processed late).
 */

/** How the offset is estimated: the least `arrival - ts` over this many 1 s buckets. */
const OFFSET_BUCKETS = 10;

export type Refusal = 'out_of_order' | 'stale';

export type Admission =
  | { readonly admitted: true; readonly ageMs: number; readonly deviationMs: number | undefined }
  | { readonly admitted: false; readonly reason: Refusal };

export interface StreamFigures {
  frames: number;
  /** RFC 3550's interarrival jitter (a running mean of |D| with gain 1/16), ms. */
  jitter_ms: number;
  dropped_stale: number;
  dropped_out_of_order: number;
}

/**
 * The clock offset is the least `arrival - ts` over the last 10 s (per 1 s bucket): the frame
 * that travelled fastest bounds the offset best, and the window follows a drifting clock. A
 * frame's age is its `arrival - ts` above that; a frame older than `maxAgeMs` is stale.
 */
export class SessionTiming {
  readonly #maxAgeMs: number;
  readonly #buckets: { second: number; least: number }[] = [];
  readonly #streams = new Map<string, StreamFigures & { lastTs: number; lastArrival: number }>();

  constructor(maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs;
  }

  /** The estimate of `arrival - ts` for a frame that waited nowhere; undefined before any. */
  get offsetMs(): number | undefined {
    if (this.#buckets.length === 0) return undefined;
    return Math.min(...this.#buckets.map((bucket) => bucket.least));
  }

  /** Decides on a frame of `stream` with the client's `ts`, arrived at `arrivalMs`. */
  admit(stream: string, ts: number, arrivalMs: number): Admission {
    let figures = this.#streams.get(stream);
    if (figures === undefined) {
      figures = {
        frames: 0,
        jitter_ms: 0,
        dropped_stale: 0,
        dropped_out_of_order: 0,
        lastTs: Number.NEGATIVE_INFINITY,
        lastArrival: 0,
      };
      this.#streams.set(stream, figures);
    }
    if (ts <= figures.lastTs) {
      figures.dropped_out_of_order++;
      return { admitted: false, reason: 'out_of_order' };
    }
    this.#observe(arrivalMs - ts, arrivalMs);
    const ageMs = arrivalMs - ts - (this.offsetMs ?? arrivalMs - ts);
    if (ageMs > this.#maxAgeMs) {
      figures.dropped_stale++;
      return { admitted: false, reason: 'stale' };
    }
    const deviationMs =
      figures.frames === 0
        ? undefined
        : Math.abs(arrivalMs - figures.lastArrival - (ts - figures.lastTs));
    if (deviationMs !== undefined) figures.jitter_ms += (deviationMs - figures.jitter_ms) / 16;
    figures.frames++;
    figures.lastTs = ts;
    figures.lastArrival = arrivalMs;
    return { admitted: true, ageMs, deviationMs };
  }

  /** Every stream's figures so far. */
  figures(): Record<string, StreamFigures> {
    const out: Record<string, StreamFigures> = {};
    for (const [stream, f] of this.#streams)
      out[stream] = {
        frames: f.frames,
        jitter_ms: Math.round(f.jitter_ms * 1000) / 1000,
        dropped_stale: f.dropped_stale,
        dropped_out_of_order: f.dropped_out_of_order,
      };
    return out;
  }

  #observe(transit: number, arrivalMs: number): void {
    const second = Math.floor(arrivalMs / 1000);
    const last = this.#buckets.at(-1);
    if (last?.second === second) last.least = Math.min(last.least, transit);
    else {
      this.#buckets.push({ second, least: transit });
      while ((this.#buckets[0]?.second ?? second) <= second - OFFSET_BUCKETS) this.#buckets.shift();
    }
  }
}
