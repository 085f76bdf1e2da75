import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { Applier } from './applier.ts';
import { Controller } from './controller.ts';
import type { EventRecorder } from './events.ts';
import { createLogger } from './log.ts';
import { createMetrics } from './metrics.ts';
import type { StatusWriter } from './status-writer.ts';
import { startOperatorTracing } from './tracing.ts';

/** A controller whose applier writes the first child and finds the second already applied. */
function controller(tracer: NonNullable<ReturnType<typeof startOperatorTracing>>['tracer']) {
  const applied: string[] = [];
  const applier = {
    apply: async (child: { metadata: { name: string } }) => {
      applied.push(child.metadata.name);
      return child.metadata.name === 'written';
    },
    prune: async () => undefined,
  } as unknown as Applier;
  return new Controller(
    {
      name: 'inferencemodel',
      observe: (key) => key,
      reconcile: (key: string) => {
        if (key === 'ns/broken') throw new Error('boom');
        return {
          desired: [
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written', namespace: 'ns' } },
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same', namespace: 'ns' } },
          ],
        };
      },
      children: { owner: (key) => key.replace('/', '.'), types: [] },
    },
    {
      applier,
      statusWriter: {} as StatusWriter,
      events: {} as EventRecorder,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger('silent'),
      concurrency: 1,
      tracer,
    },
  );
}

describe('operator tracing', () => {
  it('is off unless the environment names a collector', () => {
    expect(startOperatorTracing({})).toBeUndefined();
    expect(
      startOperatorTracing({
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      }),
    ).toBeUndefined();
  });

  it('leaves one span per reconcile with its kind, key, outcome and writes', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startOperatorTracing({}, exporter)!;
    const reconciler = controller(tracing.tracer);
    expect(await reconciler.process('ns/model')).toEqual({ type: 'done' });
    expect(await reconciler.process('ns/broken')).toEqual({ type: 'retry' });
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => [span.name, span.attributes, span.status.code])).toEqual([
      [
        'reconcile inferencemodel',
        {
          'k8s.controller': 'inferencemodel',
          'k8s.key': 'ns/model',
          'reconcile.outcome': 'done',
          'reconcile.writes': 1,
        },
        0,
      ],
      [
        'reconcile inferencemodel',
        {
          'k8s.controller': 'inferencemodel',
          'k8s.key': 'ns/broken',
          'reconcile.outcome': 'retry',
          'reconcile.writes': 0,
        },
        2,
      ],
    ]);
    await tracing.shutdown();
  });
});
