/** Compares what the front proxy recorded with a scenario's `wire`: one problem per mismatch. */
import type { WireRecord } from './front.ts';
import type { WireExpectation } from './scenarios.ts';

export function checkWire(expected: WireExpectation[], records: WireRecord[]): string[] {
  const seen = records.map((record) => `${record.method} ${record.path} ${record.status ?? '-'}`);
  if (records.length !== expected.length)
    return [`expected ${expected.length} requests, saw ${records.length}: ${seen.join(', ')}`];
  return expected.flatMap((want, index) => {
    const got = records[index];
    if (got === undefined) return [];
    const problems: string[] = [];
    if (got.path !== want.path || got.status !== want.status)
      problems.push(`request ${index}: expected ${want.path} ${want.status}, saw ${seen[index]}`);
    if (got.requestId === undefined) problems.push(`request ${index}: no x-request-id`);
    if (want.same_request_id_as !== undefined) {
      const first = records[want.same_request_id_as]?.requestId;
      if (got.requestId !== first)
        problems.push(`request ${index}: x-request-id ${got.requestId} is not ${first}`);
    }
    if (want.min_gap_ms !== undefined) {
      const previous = records[index - 1]?.answeredAt ?? Number.NaN;
      const gap = got.startedAt - previous;
      if (!(gap >= want.min_gap_ms))
        problems.push(
          `request ${index}: sent ${gap} ms after the previous answer, not ${want.min_gap_ms}`,
        );
    }
    if (want.last_event_id === true && !got.lastEventId)
      problems.push(`request ${index}: no Last-Event-ID`);
    return problems;
  });
}
