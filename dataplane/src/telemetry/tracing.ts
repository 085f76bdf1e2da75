import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { subscribe } from 'node:diagnostics_channel';
import { ScrubbingExporter } from './scrubber.ts';
import { TailSampler } from './tail-sampler.ts';

/** What the config contract says about tracing (gateway.yaml `tracing`). */
export interface TracingSettings {
  endpoint?: string | undefined;
  ratio: number;
  denylist: readonly string[];
}

export interface TracingOptions {
  /** The service name when OTEL_SERVICE_NAME does not set one. */
  serviceName: string;
  /** The contract's settings, read at start (endpoint) and per trace (ratio, denylist). */
  settings: () => TracingSettings | undefined;
  env?: NodeJS.ProcessEnv;
  /** Replaces the OTLP exporter (unit tests). */
  exporter?: SpanExporter;
}

/** A started tracer: what instruments use, and how the process flushes it on exit. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Where spans go: the OTLP URL, or `custom` for an injected exporter. */
  readonly target: string;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts tracing when a collector is named, or returns undefined (then nothing creates a span).
 *
 * Precedence: the standard environment wins over the contract, as the SDK documents it.
 * - OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none: off, whatever the contract says.
 * - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT (and the exporter's other
 *   OTEL_EXPORTER_OTLP_* variables: headers, timeout, compression) are read by the exporter
 *   itself; only when neither endpoint is set does the contract's `endpoint` apply.
 * - OTEL_TRACES_SAMPLER (+ OTEL_TRACES_SAMPLER_ARG) sets the ratio of the tail decision in
 *   place of the contract's (`always_on` 1, `always_off` 0, `traceidratio` and the
 *   `parentbased_` forms their argument); errors are kept under every sampler.
 * - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  const env = options.env ?? process.env;
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return;
  const fromEnv =
    nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) ??
    nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  const endpoint = options.settings()?.endpoint;
  if (options.exporter === undefined && fromEnv === undefined && endpoint === undefined) return;
  const target =
    options.exporter !== undefined
      ? 'custom'
      : (nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) ??
        (fromEnv === undefined
          ? `${trimSlash(endpoint ?? '')}/v1/traces`
          : `${trimSlash(fromEnv)}/v1/traces`));
  const exporter =
    options.exporter ??
    (fromEnv === undefined ? new OTLPTraceExporter({ url: target }) : new OTLPTraceExporter());
  const envRatio = samplerRatio(env);
  const ratio = () => envRatio ?? options.settings()?.ratio ?? 1;
  const denylist = () => options.settings()?.denylist ?? [];
  const resource = resourceFromAttributes({ 'service.name': options.serviceName }).merge(
    detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    spanProcessors: [
      new TailSampler(
        new BatchSpanProcessor({ exporter: new ScrubbingExporter(exporter, denylist) }),
        ratio,
      ),
    ],
  });
  installContext();
  return {
    tracer: provider.getTracer('inference-service'),
    target,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

let contextInstalled = false;

/**
 * Once per process: the async-local context (a span is active across awaits), W3C trace
 * context as the only propagator (baggage is neither read nor sent), and `traceparent` on
 * every outgoing undici request, so fetch and the providers' SDKs carry it upstream.
 */
function installContext(): void {
  if (contextInstalled) return;
  contextInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: { addHeader(name: string, value: string): void } };
    const active = context.active();
    if (trace.getSpanContext(active) === undefined) return;
    propagation.inject(active, request, {
      set: (carrier, key, value) => {
        carrier.addHeader(key, value);
      },
    });
  });
}

/** The trace id of the active span, if there is one. */
export function activeTraceId(): string | undefined {
  return trace.getSpanContext(context.active())?.traceId;
}

/** OTEL_TRACES_SAMPLER as a ratio, or undefined when it is unset or unknown. */
export function samplerRatio(env: NodeJS.ProcessEnv): number | undefined {
  const sampler = env['OTEL_TRACES_SAMPLER']?.trim().toLowerCase();
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      const arg = Number(env['OTEL_TRACES_SAMPLER_ARG'] ?? '1');
      return Number.isFinite(arg) ? Math.min(1, Math.max(0, arg)) : 1;
    }
    default:
      return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
