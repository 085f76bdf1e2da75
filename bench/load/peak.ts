/**
 * Closed-loop peak throughput with autocannon (installed under bench/systems, not a project
 * dependency): `connections` clients each send their next request when the last one answers.
 */
import { createRequire } from 'node:module';
import type { RequestSpec } from './request-spec.ts';

/** The part of autocannon's result this benchmark reads. */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
}

type Autocannon = (options: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
}) => Promise<AutocannonResult>;

const autocannon = createRequire(new URL('../systems/package.json', import.meta.url))(
  'autocannon',
) as Autocannon;

export interface PeakResult {
  connections: number;
  durationS: number;
  /** Answers with status 2xx per second. */
  rps: number;
  /** Share of requests that failed (non-2xx, errors, timeouts), 0..1. */
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
}

export async function peak(
  spec: RequestSpec,
  connections: number,
  durationS: number,
): Promise<PeakResult> {
  const result = await autocannon({
    url: `${spec.origin}${spec.path}`,
    method: 'POST',
    headers: spec.headers,
    body: spec.body,
    connections,
    duration: durationS,
    timeout: 10,
  });
  const ok = result['2xx'];
  const failed = result.non2xx + result.errors;
  return {
    connections,
    durationS: result.duration,
    rps: ok / result.duration,
    errorRate: failed / Math.max(1, ok + failed),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}
