/**
 * The operator's traces: one span per reconcile (controller.ts), over the same OTLP/HTTP
 * exporter as the dataplane's. The operator has no config contract, so only the standard
 * environment turns it on: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
 * (and the exporter's other OTEL_EXPORTER_OTLP_* variables), off under OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource
 * (default `inference-operator`). Every reconcile is exported: its spans carry keys, kinds,
 * outcomes and counts, never an object's content, and there are few of them.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';

export interface OperatorTracing {
  readonly tracer: Tracer;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Started when the environment names a collector (or `exporter` is given); else undefined. */
export function startOperatorTracing(
  env: NodeJS.ProcessEnv = process.env,
  exporter?: SpanExporter,
): OperatorTracing | undefined {
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return;
  const named = [
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    env['OTEL_EXPORTER_OTLP_ENDPOINT'],
  ].some((value) => value !== undefined && value.trim() !== '');
  if (exporter === undefined && !named) return;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'inference-operator' }).merge(
      detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }),
    ),
    spanProcessors: [new BatchSpanProcessor({ exporter: exporter ?? new OTLPTraceExporter() })],
  });
  return {
    tracer: provider.getTracer('inference-operator'),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
