import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Traces held at once, waiting for their local root to end; the oldest is dropped beyond. */
const MAX_TRACES = 4096;
/** Spans held per trace; a trace's spans beyond it are dropped (the root is always kept). */
const MAX_SPANS = 256;

/**
 * A tail decision over each trace's spans in this process: spans are held until the trace's
 * local root (a span without a parent here: the server span, a batch item, a reconcile) ends,
 * then all of them go to `next` when any of them has an error status, or when the trace id
 * falls under `ratio()` (the same trace id always decides the same way); otherwise all are
 * dropped. A request that fails late is kept, because nothing is decided before its end.
 */
export class TailSampler implements SpanProcessor {
  readonly #next: SpanProcessor;
  readonly #ratio: () => number;
  readonly #held = new Map<string, ReadableSpan[]>();

  constructor(next: SpanProcessor, ratio: () => number) {
    this.#next = next;
    this.#ratio = ratio;
  }

  /** Nothing is decided at start. */
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId } = span.spanContext();
    const parent = span.parentSpanContext;
    const root = parent === undefined || parent.isRemote === true;
    let spans = this.#held.get(traceId);
    if (!root) {
      if (spans === undefined) {
        if (this.#held.size >= MAX_TRACES) {
          const oldest = this.#held.keys().next().value;
          if (oldest !== undefined) this.#held.delete(oldest);
        }
        spans = [];
        this.#held.set(traceId, spans);
      }
      if (spans.length < MAX_SPANS) spans.push(span);
      return;
    }
    this.#held.delete(traceId);
    const trace = spans === undefined ? [span] : [...spans, span];
    if (!keep(trace, traceId, this.#ratio())) return;
    for (const each of trace) this.#next.onEnd(each);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.#held.clear();
    return this.#next.shutdown();
  }
}

/** Errors always; the rest when the trace id's low 32 bits fall under `ratio`. */
export function keep(spans: readonly ReadableSpan[], traceId: string, ratio: number): boolean {
  if (spans.some((span) => span.status.code === SpanStatusCode.ERROR)) return true;
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(-8), 16) / 0x1_0000_0000 < ratio;
}
