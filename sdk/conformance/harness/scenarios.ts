/**
 * The conformance scenarios (sdk/conformance/scenarios/*.json) as the harness reads them. Each
 * SDK's runner reads the same files; docs/sdks.md says what each one proves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One request the SDK is expected to make, in order, as the front proxy recorded it. */
export interface WireExpectation {
  path: string;
  status: number;
  /** This request carries the x-request-id of the request at that index. */
  same_request_id_as?: number;
  /** At least this long after the previous request's answer. */
  min_gap_ms?: number;
  /** The request carries a Last-Event-ID header. */
  last_event_id?: boolean;
}

export interface Scenario {
  name: string;
  proves: string;
  tenant: string;
  action: 'infer' | 'stream' | 'tamper-resume' | 'batch' | 'audit-export' | 'cancel-stream';
  request: Record<string, unknown>;
  /** What the fake OpenAI upstream answers first, before its default answers. */
  upstream?: { status: 429; retry_after: string }[];
  cut_after_chunks?: number;
  cancel_after_chunks?: number;
  page_size?: number;
  expect: Record<string, unknown>;
  /** Every request of the scenario, in order; absent: not checked (polling varies). */
  wire?: WireExpectation[];
}

export const SCENARIO_DIR = join(import.meta.dirname, '../scenarios');

export function loadScenarios(): Scenario[] {
  return readdirSync(SCENARIO_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(SCENARIO_DIR, file), 'utf8')) as Scenario);
}
