// The chart's alert rules, offline: `promtool check rules` and `promtool test rules`
// (tests/observability/alert-rules.test.yaml) on the rule file. Their expressions are proven
// against a real Prometheus in prometheus.test.ts; the dashboards are checked in dashboards.test.ts.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const PROMTOOL = join(root, '.tmp/prometheus/usr/bin/promtool');
const RULES = join(root, 'charts/inference-service/files/prometheus-rules.yaml');
const run = promisify(execFile);
const noPromtool = !existsSync(PROMTOOL);
if (noPromtool)
  console.warn('tests/observability/rules.test.ts: promtool skipped, run `make prometheus` (apt).');

describe.skipIf(noPromtool)('the alert rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(stdout).toContain('SUCCESS: 19 rules found');
  });

  it('fire as their unit tests say, on the input series that cross each threshold', async () => {
    const { stdout } = await run(PROMTOOL, [
      'test',
      'rules',
      join(import.meta.dirname, 'alert-rules.test.yaml'),
    ]);
    expect(stdout).toContain('SUCCESS');
  });
});
