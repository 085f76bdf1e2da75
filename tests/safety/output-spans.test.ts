import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../dataplane/src/core/route.ts';
import type { Exchange } from '../../dataplane/src/stages/context.ts';
import { tracingStage } from '../../dataplane/src/stages/tracing.ts';
import { startTracing, type Tracing } from '../../dataplane/src/telemetry/tracing.ts';

/**
 * What the output PII filter redacted, on the span of the attempt whose answer it filtered:
 * `safety.findings.output:pii:<kind>` counts, as the pipeline adds them to the exchange's
 * findings before the request is recorded; never the values.
 */
const target: TargetConfig = {
  name: 'primary',
  provider: 'openai',
  model: 'gpt-fake',
  timeoutMs: 1000,
  weight: 1,
  priority: 0,
};

function exchange(): Exchange {
  const signal = new AbortController().signal;
  return {
    context: {
      requestId: 'item-1',
      tenant: 'acme',
      principal: 'tester',
      surface: 'batch',
      signal,
      deadlineMs: 1000,
    },
    signal,
    startedAt: performance.now(),
    attempts: [],
  };
}

let tracing: Tracing;
afterEach(async () => {
  await tracing.shutdown();
});

async function attemptSpan(
  findings: Record<string, number>,
  outcome: Parameters<NonNullable<ReturnType<typeof tracingStage>['record']>>[1],
) {
  const exporter = new InMemorySpanExporter();
  tracing = startTracing({
    serviceName: 'unit',
    settings: () => ({ ratio: 1, denylist: [] }),
    env: {},
    exporter,
  })!;
  const stage = tracingStage(tracing.tracer);
  const item = exchange();
  stage.attempt?.(item, target, 0);
  item.servedBy = target;
  item.findings = findings;
  stage.record?.(item, outcome);
  await tracing.forceFlush();
  return exporter.getFinishedSpans().find((span) => span.name === 'chat gpt-fake');
}

describe('the output filter in the trace', () => {
  it("puts its counts by kind on the served attempt's span, not the input's", async () => {
    const span = await attemptSpan(
      { 'pii:email': 1, 'output:pii:email': 2, 'output:pii:iban': 1 },
      { kind: 'done', usage: { inputTokens: 3, outputTokens: 9, cachedTokens: 0 } },
    );
    expect(span?.attributes['safety.findings.output:pii:email']).toBe(2);
    expect(span?.attributes['safety.findings.output:pii:iban']).toBe(1);
    expect(span?.attributes['safety.findings.pii:email']).toBeUndefined();
  });

  it('records them on an answer cut off after the filter redacted part of it', async () => {
    const span = await attemptSpan(
      { 'output:pii:phone': 1 },
      { kind: 'cancelled', outputChars: 40 },
    );
    expect(span?.attributes['safety.findings.output:pii:phone']).toBe(1);
  });
});
