// The chart's alert rules and dashboards, offline: `promtool check rules` and `promtool test
// rules` (tests/observability/alert-rules.test.yaml) on the rule file, and the dashboards' shape.
// Their queries are proven against a real Prometheus in prometheus.test.ts.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, dashboardJson } from '../../scripts/dashboards.ts';

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
    expect(stdout).toContain('SUCCESS: 16 rules found');
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

describe('the dashboards', () => {
  it('are the files scripts/dashboards.ts writes', async () => {
    const dir = join(root, 'charts/inference-service/dashboards');
    expect((await readdir(dir)).sort()).toEqual(
      Object.keys(DASHBOARDS)
        .map((name) => `${name}.json`)
        .sort(),
    );
    for (const [name, d] of Object.entries(DASHBOARDS)) {
      const file = await readFile(join(dir, `${name}.json`), 'utf8');
      expect(JSON.parse(file)).toEqual(dashboardJson(name, d.title, d.panels));
    }
  });

  it('give every panel a unique id, a Prometheus query and a place on the grid', () => {
    for (const [name, d] of Object.entries(DASHBOARDS)) {
      const json = dashboardJson(name, d.title, d.panels) as {
        panels: { id: number; gridPos: object; targets: { expr: string }[] }[];
      };
      expect(new Set(json.panels.map((p) => p.id)).size).toBe(json.panels.length);
      for (const panel of json.panels) {
        expect(panel.gridPos).toMatchObject({ w: 12, h: 8 });
        expect(panel.targets[0]?.expr).toMatch(/\w/);
      }
    }
  });
});
