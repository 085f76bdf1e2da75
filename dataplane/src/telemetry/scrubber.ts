import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * The export path's content guard: every span passes through it on its way to the exporter,
 * whatever API recorded it. It replaces with `redacted`:
 * - the value of every attribute (span, event and link attributes) whose key starts with a
 *   content prefix (`CONTENT_PREFIXES`, except the checksum `content_sha`) or is on the denylist
 *   (exact, or a prefix ending in `*`);
 * - the name and every attribute of an event so named, and the message and stack of every
 *   exception event;
 * - the status message (an error's message may quote its input);
 * - a span name not of one of our own forms (`SPAN_NAMES`), so a name built from content never
 *   leaves.
 * Baggage never reaches a span: nothing copies it, and only trace context is propagated.
 */
export const CONTENT_PREFIXES = [
  'content',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
] as const;

/**
 * The forms of our span names; any other name is replaced. A model name (`chat {model}`) and a
 * tool name (`tools/call {tool}`) come from the config contract as one token, never from a
 * request.
 */
export const SPAN_NAMES: readonly RegExp[] = [
  /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/[\w/:{}.*-]*$/,
  /^gateway\.[a-z_]+(\.[a-z_]+)?$/,
  /^gateway\.request (inference|inference-stream|chat-completions|embeddings|batch)$/,
  /^(chat|embeddings) \S+$/,
  // An MCP tool call: the tool's gateway name, from the config once the call is allowed.
  /^tools\/call( [\w.-]+)?$/,
  /^reconcile [A-Za-z]+$/,
];

/**
 * Keys that start with a content prefix but hold none: `content_sha` is a prompt manifest's
 * SHA-256 checksum (the issue names it among our non-sensitive attributes). A denylist entry
 * still redacts them.
 */
export const NOT_CONTENT: readonly string[] = ['content_sha'];

export const REDACTED = 'redacted';

/** Whether `key` names content: a built-in prefix (but not `NOT_CONTENT`), or a denylist entry. */
export function isDenied(key: string, denylist: readonly string[]): boolean {
  if (!NOT_CONTENT.includes(key))
    for (const prefix of CONTENT_PREFIXES) if (key.startsWith(prefix)) return true;
  for (const entry of denylist) {
    if (entry.endsWith('*') ? key.startsWith(entry.slice(0, -1)) : key === entry) return true;
  }
  return false;
}

function scrubAttributes(attributes: Attributes, denylist: readonly string[]): Attributes {
  let out: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    const redact =
      isDenied(key, denylist) || key === 'exception.message' || key === 'exception.stacktrace';
    if (!redact) continue;
    out ??= { ...attributes };
    out[key] = REDACTED;
  }
  return out ?? attributes;
}

function scrubEvent(event: TimedEvent, denylist: readonly string[]): TimedEvent {
  if (isDenied(event.name, denylist)) {
    const attributes = Object.fromEntries(
      Object.keys(event.attributes ?? {}).map((key) => [key, REDACTED]),
    );
    return { ...event, name: REDACTED, attributes };
  }
  if (event.attributes === undefined) return event;
  const attributes = scrubAttributes(event.attributes, denylist);
  return attributes === event.attributes ? event : { ...event, attributes };
}

function spanName(name: string): string {
  for (const form of SPAN_NAMES) if (form.test(name)) return name;
  return REDACTED;
}

/** A copy of `span` with its content replaced (the span itself is left as it was). */
export function scrubSpan(span: ReadableSpan, denylist: readonly string[]): ReadableSpan {
  const status =
    span.status.message === undefined || span.status.message === ''
      ? span.status
      : { ...span.status, message: REDACTED };
  return {
    name: spanName(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanContext === undefined ? {} : { parentSpanContext: span.parentSpanContext }),
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes: scrubAttributes(span.attributes, denylist),
    links: span.links.map((link) =>
      link.attributes === undefined
        ? link
        : { ...link, attributes: scrubAttributes(link.attributes, denylist) },
    ),
    events: span.events.map((event) => scrubEvent(event, denylist)),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps an exporter so that every span it is handed is scrubbed first. */
export class ScrubbingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #denylist: () => readonly string[];

  constructor(inner: SpanExporter, denylist: () => readonly string[]) {
    this.#inner = inner;
    this.#denylist = denylist;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const denylist = this.#denylist();
    this.#inner.export(
      spans.map((span) => scrubSpan(span, denylist)),
      done,
    );
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
