// The trace backends of the tests bind only free loopback ports, so two runs (two test files,
// two checkouts, CI beside a developer) can hold them at once.
import { afterAll, describe, expect, it } from 'vitest';
import { TraceBackends } from './backends.ts';

const pairs: TraceBackends[] = [];
afterAll(async () => {
  await Promise.all(pairs.map((pair) => pair.stop()));
});

/** One span of service `service` in trace `traceId`, as OTLP/HTTP JSON. */
function otlpSpan(service: string, traceId: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: '00f067aa0ba902b7',
                name: 'gateway.check',
                kind: 1,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 1000n),
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('two collector and Jaeger pairs at once', () => {
  it('start side by side and keep their traces apart', async () => {
    const started = [new TraceBackends(), new TraceBackends()];
    pairs.push(...started);
    await Promise.all(started.map((pair) => pair.start()));
    const ids = ['1'.repeat(32), '2'.repeat(32)];
    await Promise.all(
      pairs.map(async (pair, i) => {
        const response = await fetch(`${pair.collectorUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: otlpSpan(`pair-${i}`, ids[i]!),
        });
        expect(response.status).toBe(200);
      }),
    );
    for (const [i, pair] of pairs.entries()) {
      const [span] = await pair.trace(ids[i]!, 1);
      expect(span?.operationName).toBe('gateway.check');
      expect(await pair.traceJson(ids[1 - i]!)).not.toContain('gateway.check');
    }
  }, 60_000);
});
