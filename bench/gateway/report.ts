/**
 * From rounds of raw figures to the tables: every figure is taken against the baseline of its
 * own round (direct, raw proxy or Portkey), then the median over the rounds that were kept.
 */
import { fmt } from '../stats.ts';
import { rateAtP99, type SystemFigures } from './measure.ts';
import type { SystemName } from './systems.ts';

export interface Round {
  round: number;
  order: SystemName[];
  figures: Partial<Record<SystemName, SystemFigures>>;
  failures: Partial<Record<SystemName, string>>;
  /** Why the round was left out of the medians, when it was. */
  discarded?: string;
}

/** Tolerance on the direct baseline between rounds (BENCHMARKS.md). */
export const BASELINE_TOLERANCE = 0.1;

/**
 * Marks the rounds whose direct baseline (p50 at one connection, or peak req/s) is more than
 * 10 % away from the median round's. The median round itself is always kept.
 */
export function markDiscarded(rounds: Round[]): void {
  const p50s = rounds.map((round) => round.figures.direct?.latency.p50 ?? Number.NaN);
  const peaks = rounds.map((round) => round.figures.direct?.peak.rps ?? Number.NaN);
  const p50Median = median(p50s);
  const peakMedian = median(peaks);
  for (const [i, round] of rounds.entries()) {
    const p50Moved = Math.abs(p50s[i]! / p50Median - 1);
    const peakMoved = Math.abs(peaks[i]! / peakMedian - 1);
    if (Number.isNaN(p50Moved) || Number.isNaN(peakMoved)) {
      round.discarded = 'no direct baseline';
    } else if (p50Moved > BASELINE_TOLERANCE || peakMoved > BASELINE_TOLERANCE) {
      round.discarded =
        `direct baseline moved ${(p50Moved * 100).toFixed(0)} % (p50) / ` +
        `${(peakMoved * 100).toFixed(0)} % (peak) from the median round`;
    }
  }
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median over kept rounds of `figure(system, baselines)`; NaN where a round lacks one. */
function across(
  rounds: readonly Round[],
  name: SystemName,
  figure: (
    system: SystemFigures,
    round: Partial<Record<SystemName, SystemFigures>>,
  ) => number | null | undefined,
): number {
  const values: number[] = [];
  for (const round of rounds) {
    const system = round.figures[name];
    if (system === undefined) continue;
    const value = figure(system, round.figures);
    if (value !== null && value !== undefined) values.push(value);
  }
  return median(values);
}

export interface Summary {
  systems: SystemName[];
  keptRounds: number;
  rows: Record<string, Record<string, number>>;
}

/** Every figure of the tables, per system, as medians over the kept rounds. */
export function summarizeRounds(rounds: readonly Round[], systems: readonly SystemName[]): Summary {
  const kept = rounds.filter((round) => round.discarded === undefined);
  const rows: Record<string, Record<string, number>> = {};
  for (const name of systems) {
    const f = (figure: Parameters<typeof across>[2]) => across(kept, name, figure);
    rows[name] = {
      p50: f((s) => s.latency.p50),
      p99: f((s) => s.latency.p99),
      addedP50: f((s, r) => sub(s.latency.p50, r.direct?.latency.p50)),
      addedP99: f((s, r) => sub(s.latency.p99, r.direct?.latency.p99)),
      latencyErrors: f((s) => s.latency.errors),
      peak: f((s) => s.peak.rps),
      peakConnections: f((s) => s.peak.connections),
      peakErrorPct: f((s) => s.peak.errorRate * 100),
      peakVsDirect: f((s, r) => div(s.peak.rps, r.direct?.peak.rps)),
      peakVsRaw: f((s, r) => div(s.peak.rps, r['raw-proxy']?.peak.rps)),
      peakVsPortkey: f((s, r) => div(s.peak.rps, r.portkey?.peak.rps)),
      at5: f((s) => rateAtP99(s.ladder, 5)),
      at10: f((s) => rateAtP99(s.ladder, 10)),
      at50: f((s) => rateAtP99(s.ladder, 50)),
      ttftP50: f((s) => s.streams.ttft.p50),
      addedTtftP50: f((s, r) => sub(s.streams.ttft.p50, r.direct?.streams.ttft.p50)),
      addedTtftP99: f((s, r) => sub(s.streams.ttft.p99, r.direct?.streams.ttft.p99)),
      gapP50: f((s) => s.streams.gap.p50),
      addedGapP50: f((s, r) => sub(s.streams.gap.p50, r.direct?.streams.gap.p50)),
      addedGapP99: f((s, r) => sub(s.streams.gap.p99, r.direct?.streams.gap.p99)),
      contentEvents: f((s) => s.streams.contentEvents),
      streamErrors: f((s) => s.streams.errors),
      cpuPer1k: f((s) => s.cpuPer1k),
      cpuVsRaw: f((s, r) => div(s.cpuPer1k, r['raw-proxy']?.cpuPer1k)),
      rssFresh: f((s) => s.rss?.fresh),
      rssSteady: f((s) => s.rss?.steady),
      rssLoad: f((s) => s.rss?.load),
      rssAfter: f((s) => s.rss?.after),
      rssAfterVsSteady: f((s) => div(s.rss?.after, s.rss?.steady)),
    };
    for (const extra of ['native', 'native+prompt']) {
      const has = kept.some((round) => round.figures[name]?.extras[extra] !== undefined);
      if (!has) continue;
      const e = (figure: (x: NonNullable<SystemFigures['extras'][string]>) => number | undefined) =>
        f((s) => (s.extras[extra] === undefined ? undefined : figure(s.extras[extra])));
      rows[`${name} (${extra})`] = {
        p50: e((x) => x.latency.p50),
        p99: e((x) => x.latency.p99),
        addedP50: f((s, r) => sub(s.extras[extra]?.latency.p50, r.direct?.latency.p50)),
        addedP99: f((s, r) => sub(s.extras[extra]?.latency.p99, r.direct?.latency.p99)),
        latencyErrors: e((x) => x.latency.errors),
        ttftP50: e((x) => x.streams?.ttft.p50),
        addedTtftP50: f((s, r) =>
          sub(s.extras[extra]?.streams?.ttft.p50, r.direct?.streams.ttft.p50),
        ),
        addedTtftP99: f((s, r) =>
          sub(s.extras[extra]?.streams?.ttft.p99, r.direct?.streams.ttft.p99),
        ),
        gapP50: e((x) => x.streams?.gap.p50),
        addedGapP50: f((s, r) => sub(s.extras[extra]?.streams?.gap.p50, r.direct?.streams.gap.p50)),
        addedGapP99: f((s, r) => sub(s.extras[extra]?.streams?.gap.p99, r.direct?.streams.gap.p99)),
        contentEvents: e((x) => x.streams?.contentEvents),
        streamErrors: e((x) => x.streams?.errors),
      };
    }
  }
  return { systems: [...systems], keptRounds: kept.length, rows };
}

function sub(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function div(a: number | null | undefined, b: number | null | undefined): number | undefined {
  return a == null || b == null || b === 0 ? undefined : a / b;
}

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : fmt(x));
const signed = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : `${x < 0 ? '−' : '+'}${fmt(Math.abs(x))}`;
const times = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(x < 10 ? 2 : 1)}×`;
const count = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US');
const mib = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : `${(x / 2 ** 20).toFixed(0)} MiB`;
const pct = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(x < 1 ? 2 : 1)} %`;

function table(header: string[], lines: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines.map((line) => `| ${line.join(' | ')} |`),
  ].join('\n');
}

/** The markdown tables `docs/benchmarks.md` copies. */
export function renderTables(summary: Summary): string {
  const { rows, systems } = summary;
  const withExtras = Object.keys(rows);
  const latency = table(
    ['system', 'p50', 'p99', 'added p50', 'added p99'],
    withExtras
      .filter((name) => !Number.isNaN(rows[name]!['p50']!))
      .map((name) => {
        const r = rows[name]!;
        return [name, ms(r['p50']), ms(r['p99']), signed(r['addedP50']), signed(r['addedP99'])];
      }),
  );
  const throughput = table(
    [
      'system',
      'peak req/s',
      '× direct',
      '× raw proxy',
      '× Portkey',
      'errors',
      'req/s at p99 ≤ 5 ms',
      '≤ 10 ms',
      '≤ 50 ms',
      'CPU-s / 1k req',
      'CPU × raw proxy',
    ],
    systems.map((name) => {
      const r = rows[name]!;
      return [
        name,
        count(r['peak']),
        times(r['peakVsDirect']),
        times(r['peakVsRaw']),
        times(r['peakVsPortkey']),
        pct(r['peakErrorPct']),
        count(r['at5']),
        count(r['at10']),
        count(r['at50']),
        r['cpuPer1k'] === undefined || Number.isNaN(r['cpuPer1k']) ? '–' : r['cpuPer1k'].toFixed(3),
        times(r['cpuVsRaw']),
      ];
    }),
  );
  const streams = table(
    [
      'system',
      'TTFT p50',
      'added TTFT p50',
      'added TTFT p99',
      'gap p50',
      'added gap p50',
      'added gap p99',
      'content events',
    ],
    withExtras
      .filter((name) => !Number.isNaN(rows[name]!['ttftP50'] ?? Number.NaN))
      .map((name) => {
        const r = rows[name]!;
        return [
          name,
          ms(r['ttftP50']),
          signed(r['addedTtftP50']),
          signed(r['addedTtftP99']),
          ms(r['gapP50']),
          signed(r['addedGapP50']),
          signed(r['addedGapP99']),
          count(r['contentEvents']),
        ];
      }),
  );
  const memory = table(
    ['system', 'RSS fresh', 'RSS steady', 'RSS under load', 'RSS after load', 'after ÷ steady'],
    systems
      .filter((name) => name !== 'direct')
      .map((name) => {
        const r = rows[name]!;
        return [
          name,
          mib(r['rssFresh']),
          mib(r['rssSteady']),
          mib(r['rssLoad']),
          mib(r['rssAfter']),
          times(r['rssAfterVsSteady']),
        ];
      }),
  );
  return [
    '**Added latency, 1 connection, non-streaming** (sequential requests; added = minus direct of the same round)',
    '',
    latency,
    '',
    '**Throughput** (peak: autocannon, closed loop; req/s at p99 ≤ X: open loop from the scheduled send time, the largest step of the ladder that held)',
    '',
    throughput,
    '',
    '**Streams, 1 connection** (TTFT: send to the first content event; gap: between content events; added = minus direct of the same round)',
    '',
    streams,
    '',
    '**Memory** (fresh: after start; steady: after the warm-up; under load: the largest sample during peak and ladder; after load: settled after the ladder)',
    '',
    memory,
  ].join('\n');
}

export interface Aim {
  aim: string;
  figure: string;
  met: boolean | undefined;
}

/** The aims of issue 8 that these figures decide. */
export function checkAims(summary: Summary): Aim[] {
  const full = summary.rows['ours-full'];
  const minimal = summary.rows['ours-minimal'];
  const aims: Aim[] = [];
  const add = (
    aim: string,
    value: number | undefined,
    ok: (x: number) => boolean,
    show: string,
  ) => {
    const known = value !== undefined && !Number.isNaN(value);
    aims.push({ aim, figure: known ? show : '–', met: known ? ok(value) : undefined });
  };
  add(
    'full pipeline peak ≥ 3× Portkey',
    full?.['peakVsPortkey'],
    (x) => x >= 3,
    times(full?.['peakVsPortkey']),
  );
  add(
    'full pipeline peak ≥ 0.5× raw proxy',
    full?.['peakVsRaw'],
    (x) => x >= 0.5,
    times(full?.['peakVsRaw']),
  );
  add(
    'added p99 at 1 connection < 2 ms (minimal)',
    minimal?.['addedP99'],
    (x) => x < 2,
    signed(minimal?.['addedP99']),
  );
  add(
    'added p99 at 1 connection < 4 ms (full)',
    full?.['addedP99'],
    (x) => x < 4,
    signed(full?.['addedP99']),
  );
  add(
    'added TTFT < 1 ms (minimal, p50)',
    minimal?.['addedTtftP50'],
    (x) => x < 1,
    signed(minimal?.['addedTtftP50']),
  );
  add(
    'added TTFT < 1 ms (full, p50)',
    full?.['addedTtftP50'],
    (x) => x < 1,
    signed(full?.['addedTtftP50']),
  );
  add(
    'RSS after load within 10 % of steady (minimal)',
    minimal?.['rssAfterVsSteady'],
    (x) => x <= 1.1,
    times(minimal?.['rssAfterVsSteady']),
  );
  add(
    'RSS after load within 10 % of steady (full)',
    full?.['rssAfterVsSteady'],
    (x) => x <= 1.1,
    times(full?.['rssAfterVsSteady']),
  );
  return aims;
}

export function renderAims(aims: readonly Aim[]): string {
  return table(
    ['aim', 'figure', 'met'],
    aims.map((a) => [a.aim, a.figure, a.met === undefined ? '–' : a.met ? 'yes' : '**no**']),
  );
}
