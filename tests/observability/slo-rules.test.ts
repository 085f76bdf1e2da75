// The chart's SLO rules (charts/inference-service/files/slo-rules.yaml, docs/slos.md), offline:
// `promtool check rules`, `promtool test rules` on synthetic series (slo-rules.test.yaml: fast
// burns, a page that stops after the burn, config propagation; slo-rules-slow.test.yaml: days of
// series for the tickets), the shape every SLI keeps (one recording rule per window, the same
// expression but for the window), and the objectives docs/slos.md states.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const PROMTOOL = join(root, '.tmp/prometheus/usr/bin/promtool');
export const SLO_RULES = join(root, 'charts/inference-service/files/slo-rules.yaml');
const run = promisify(execFile);
const noPromtool = !existsSync(PROMTOOL);
if (noPromtool)
  console.warn(
    'tests/observability/slo-rules.test.ts: promtool skipped, run `make prometheus` (apt).',
  );

/** The windows of the workbook's burn-rate pairs: 1h/5m, 6h/30m (page), 1d/2h, 3d/6h (ticket). */
const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

async function rules(): Promise<Rule[]> {
  const file = parse(await readFile(SLO_RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

/** slo label → objective, from the inference:slo_objective:ratio rules. */
async function objectives(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const rule of await rules()) {
    if (rule.record !== 'inference:slo_objective:ratio') continue;
    const value = /^vector\(([\d.]+)\)$/.exec(rule.expr)?.[1];
    out.set(rule.labels?.['slo'] ?? '', Number(value));
  }
  return out;
}

describe.skipIf(noPromtool)('the SLO rules under promtool', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', SLO_RULES]);
    expect(stdout).toContain('SUCCESS: 62 rules found');
  });

  it('record the SLIs and fire the burn-rate alerts their unit tests expect', async () => {
    const { stdout } = await run(PROMTOOL, [
      'test',
      'rules',
      join(import.meta.dirname, 'slo-rules.test.yaml'),
      join(import.meta.dirname, 'slo-rules-slow.test.yaml'),
    ]);
    expect(stdout.match(/SUCCESS/g)).toHaveLength(2);
  }, 120_000);
});

describe('the SLO rule file', () => {
  it('records every SLI over every window, with one expression but for the window', async () => {
    const bySlo = new Map<string, Map<string, string>>();
    for (const rule of await rules()) {
      const window = /^inference:slo_errors:ratio_rate(\w+)$/.exec(rule.record ?? '')?.[1];
      if (window === undefined) continue;
      const slo = rule.labels?.['slo'] ?? '';
      const windows = bySlo.get(slo) ?? new Map<string, string>();
      windows.set(window, rule.expr.replaceAll(`[${window}]`, '[W]'));
      bySlo.set(slo, windows);
    }
    expect([...bySlo.keys()].sort()).toEqual([...(await objectives()).keys()].sort());
    for (const [slo, windows] of bySlo) {
      expect([slo, [...windows.keys()]]).toEqual([slo, WINDOWS]);
      expect([slo, new Set(windows.values()).size]).toEqual([slo, 1]);
    }
  });

  it('pages and tickets on each SLO with the workbook burn rates and windows', async () => {
    const alerts = (await rules()).filter((r) => r.alert?.startsWith('InferenceSLO') === true);
    const pairs = (expr: string) =>
      [
        ...expr.matchAll(
          /ratio_rate(\w+)\{slo="(\w+)"\} > on \(slo\) group_left \(\) \(([\d.]+) \*/g,
        ),
      ].map((m) => `${m[2]} ${m[1]} ${m[3]}`);
    for (const slo of (await objectives()).keys()) {
      const of = (suffix: string) =>
        alerts.filter(
          (a) => a.alert?.endsWith(suffix) === true && pairs(a.expr)[0]?.startsWith(`${slo} `),
        );
      expect(of('BurnFast').map((a) => [a.labels, pairs(a.expr)])).toEqual([
        [
          { severity: 'critical' },
          [`${slo} 1h 14.4`, `${slo} 5m 14.4`, `${slo} 6h 6`, `${slo} 30m 6`],
        ],
      ]);
      expect(of('BurnSlow').map((a) => [a.labels, pairs(a.expr)])).toEqual([
        [{ severity: 'warning' }, [`${slo} 1d 3`, `${slo} 2h 3`, `${slo} 3d 1`, `${slo} 6h 1`]],
      ]);
    }
  });

  it('holds the objectives docs/slos.md states', async () => {
    const doc = await readFile(join(root, 'docs/slos.md'), 'utf8');
    const stated = new Map<string, number>();
    for (const m of doc.matchAll(/^\| `(\w+)` \|[^|]*\| ([\d.]+) % \|/gm))
      stated.set(m[1] ?? '', Number(m[2]));
    const percent = (ratio: number) => Number((ratio * 100).toPrecision(6));
    expect(stated).toEqual(new Map([...(await objectives())].map(([k, v]) => [k, percent(v)])));
  });
});
