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
  /** Per family of figures, why the round was left out of its medians, when it was. */
  discarded?: Partial<Record<Family, string>>;
}

/**
 * Figures come in families, each with its own direct baseline: a round whose baseline moved is
 * left out of that family only. CPU and memory are the systems' own readings (no baseline), so
 * every round counts for them.
 */
export type Family = 'latency' | 'throughput' | 'streams';

const BASELINES: Record<Family, (direct: SystemFigures) => number> = {
  latency: (direct) => direct.latency.p50,
  throughput: (direct) => direct.peak.rps,
  streams: (direct) => direct.streams.ttft.p50,
};

/** Tolerance on the direct baseline between rounds (BENCHMARKS.md). */
export const BASELINE_TOLERANCE = 0.1;

/**
 * Marks, per family, the rounds whose direct baseline is more than 10 % away from the median
 * of the rounds' baselines. The round nearest the median is always kept.
 */
export function markDiscarded(rounds: Round[]): void {
  for (const family of Object.keys(BASELINES) as Family[]) {
    const values = rounds.map((round) =>
      round.figures.direct === undefined ? Number.NaN : BASELINES[family](round.figures.direct),
    );
    const middle = median(values);
    const moved = values.map((value) => Math.abs(value / middle - 1));
    const nearest = moved.indexOf(Math.min(...moved.filter((x) => !Number.isNaN(x))));
    for (const [i, round] of rounds.entries()) {
      const why = Number.isNaN(moved[i]!)
        ? 'no direct baseline'
        : i !== nearest && moved[i]! > BASELINE_TOLERANCE
          ? `direct baseline moved ${(moved[i]! * 100).toFixed(0)} % from the median`
          : undefined;
      if (why !== undefined) (round.discarded ??= {})[family] = why;
    }
  }
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median over `rounds` of `figure(system, baselines)`; NaN where no round has one. */
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
  /** Rounds counted per family (CPU and memory count every round). */
  keptRounds: Record<Family, number> & { all: number };
  rows: Record<string, Record<string, number>>;
}

/** Every figure of the tables, per system, as medians over the kept rounds. */
export function summarizeRounds(rounds: readonly Round[], systems: readonly SystemName[]): Summary {
  const keptFor = (family: Family) =>
    rounds.filter((round) => round.discarded?.[family] === undefined);
  const kept = {
    latency: keptFor('latency'),
    throughput: keptFor('throughput'),
    streams: keptFor('streams'),
  };
  const rows: Record<string, Record<string, number>> = {};
  for (const name of systems) {
    const lat = (figure: Parameters<typeof across>[2]) => across(kept.latency, name, figure);
    const tput = (figure: Parameters<typeof across>[2]) => across(kept.throughput, name, figure);
    const str = (figure: Parameters<typeof across>[2]) => across(kept.streams, name, figure);
    const all = (figure: Parameters<typeof across>[2]) => across(rounds, name, figure);
    rows[name] = {
      p50: lat((s) => s.latency.p50),
      p99: lat((s) => s.latency.p99),
      addedP50: lat((s, r) => sub(s.latency.p50, r.direct?.latency.p50)),
      addedP99: lat((s, r) => sub(s.latency.p99, r.direct?.latency.p99)),
      latencyErrors: lat((s) => s.latency.errors),
      peak: tput((s) => s.peak.rps),
      peakConnections: tput((s) => s.peak.connections),
      peakErrorPct: tput((s) => s.peak.errorRate * 100),
      peakVsDirect: tput((s, r) => div(s.peak.rps, r.direct?.peak.rps)),
      peakVsRaw: tput((s, r) => div(s.peak.rps, r['raw-proxy']?.peak.rps)),
      peakVsPortkey: tput((s, r) => div(s.peak.rps, r.portkey?.peak.rps)),
      at5: tput((s) => rateAtP99(s.ladder, 5)),
      at10: tput((s) => rateAtP99(s.ladder, 10)),
      at50: tput((s) => rateAtP99(s.ladder, 50)),
      ttftP50: str((s) => s.streams.ttft.p50),
      addedTtftP50: str((s, r) => sub(s.streams.ttft.p50, r.direct?.streams.ttft.p50)),
      addedTtftP99: str((s, r) => sub(s.streams.ttft.p99, r.direct?.streams.ttft.p99)),
      gapP50: str((s) => s.streams.gap.p50),
      addedGapP50: str((s, r) => sub(s.streams.gap.p50, r.direct?.streams.gap.p50)),
      addedGapP99: str((s, r) => sub(s.streams.gap.p99, r.direct?.streams.gap.p99)),
      contentEvents: str((s) => s.streams.contentEvents),
      streamErrors: str((s) => s.streams.errors),
      cpuPer1k: all((s) => s.cpuPer1k),
      cpuVsRaw: all((s, r) => div(s.cpuPer1k, r['raw-proxy']?.cpuPer1k)),
      // What one whole core would serve at this CPU cost: robust to a core shared with others.
      perCore: all((s) => div(1000, s.cpuPer1k)),
      perCoreVsRaw: all((s, r) => div(r['raw-proxy']?.cpuPer1k, s.cpuPer1k)),
      perCoreVsPortkey: all((s, r) => div(r.portkey?.cpuPer1k, s.cpuPer1k)),
      // The share of its core the system got during the peak test (below 1: others took it).
      coreShare: all((s) => (s.cpuPer1k === null ? undefined : (s.peak.rps * s.cpuPer1k) / 1000)),
      rssFresh: all((s) => s.rss?.fresh),
      rssSteady: all((s) => s.rss?.steady),
      rssLoad: all((s) => s.rss?.load),
      rssAfter: all((s) => s.rss?.after),
      rssAfterVsSteady: all((s) => div(s.rss?.after, s.rss?.steady)),
      rssAfterAgain: all((s) => s.rss?.afterAgain),
      rssAgainVsAfter: all((s) => div(s.rss?.afterAgain, s.rss?.after)),
    };
    for (const extra of ['native', 'native+prompt']) {
      const has = rounds.some((round) => round.figures[name]?.extras[extra] !== undefined);
      if (!has) continue;
      const lat = (figure: Parameters<typeof across>[2]) => across(kept.latency, name, figure);
      const str = (figure: Parameters<typeof across>[2]) => across(kept.streams, name, figure);
      const x = (s: SystemFigures) => s.extras[extra];
      rows[`${name} (${extra})`] = {
        p50: lat((s) => x(s)?.latency.p50),
        p99: lat((s) => x(s)?.latency.p99),
        addedP50: lat((s, r) => sub(x(s)?.latency.p50, r.direct?.latency.p50)),
        addedP99: lat((s, r) => sub(x(s)?.latency.p99, r.direct?.latency.p99)),
        latencyErrors: lat((s) => x(s)?.latency.errors),
        ttftP50: str((s) => x(s)?.streams?.ttft.p50),
        addedTtftP50: str((s, r) => sub(x(s)?.streams?.ttft.p50, r.direct?.streams.ttft.p50)),
        addedTtftP99: str((s, r) => sub(x(s)?.streams?.ttft.p99, r.direct?.streams.ttft.p99)),
        gapP50: str((s) => x(s)?.streams?.gap.p50),
        addedGapP50: str((s, r) => sub(x(s)?.streams?.gap.p50, r.direct?.streams.gap.p50)),
        addedGapP99: str((s, r) => sub(x(s)?.streams?.gap.p99, r.direct?.streams.gap.p99)),
        contentEvents: str((s) => x(s)?.streams?.contentEvents),
        streamErrors: str((s) => x(s)?.streams?.errors),
      };
    }
  }
  return {
    systems: [...systems],
    keptRounds: {
      latency: kept.latency.length,
      throughput: kept.throughput.length,
      streams: kept.streams.length,
      all: rounds.length,
    },
    rows,
  };
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
  const num = (x: number | undefined, digits: number) =>
    x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
  const throughput = table(
    [
      'system',
      'peak req/s',
      '× direct',
      '× raw proxy',
      '× Portkey',
      'errors',
      'core share at peak',
      'req/s at p99 ≤ 5 ms',
      '≤ 10 ms',
      '≤ 50 ms',
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
        num(r['coreShare'], 2),
        count(r['at5']),
        count(r['at10']),
        count(r['at50']),
      ];
    }),
  );
  const cpu = table(
    [
      'system',
      'CPU-s / 1k req',
      '× raw proxy',
      'req/s per core',
      'per core × raw proxy',
      'per core × Portkey',
    ],
    systems
      .filter((name) => name !== 'direct')
      .map((name) => {
        const r = rows[name]!;
        return [
          name,
          num(r['cpuPer1k'], 3),
          times(r['cpuVsRaw']),
          count(r['perCore']),
          times(r['perCoreVsRaw']),
          times(r['perCoreVsPortkey']),
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
    [
      'system',
      'RSS fresh',
      'RSS steady',
      'RSS under load',
      'RSS after load',
      'after ÷ steady',
      'after one more load',
      'that ÷ after',
    ],
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
          mib(r['rssAfterAgain']),
          times(r['rssAgainVsAfter']),
        ];
      }),
  );
  return [
    '**Added latency, 1 connection, non-streaming** (sequential requests; added = minus direct of the same round)',
    '',
    latency,
    '',
    '**Throughput** (peak: autocannon, closed loop; core share: CPU-seconds the system used per second of the peak test; req/s at p99 ≤ X: open loop from the scheduled send time, the largest step of the ladder that held)',
    '',
    throughput,
    '',
    '**CPU cost** (CPU-seconds per 1,000 answered requests during the peak test, from /proc/<pid>/stat; req/s per core = 1000 ÷ that: what one whole core would serve, robust to a core shared with others)',
    '',
    cpu,
    '',
    '**Streams, 1 connection** (TTFT: send to the first content event; gap: between content events; added = minus direct of the same round)',
    '',
    streams,
    '',
    '**Memory** (fresh: after start; steady: settled after a 2 s warm-up burst; under load: the largest sample during peak and ladder; after load: settled after them (about 15 s of load); after one more load: settled after another peak test, growth that goes on is a leak)',
    '',
    memory,
  ].join('\n');
}

export interface Aim {
  aim: string;
  figure: string;
  met: boolean | undefined;
}

/** The aims of issue 12 that these figures decide. */
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
    'full pipeline CPU per request ≤ 3× raw proxy',
    full?.['cpuVsRaw'],
    (x) => x <= 3,
    times(full?.['cpuVsRaw']),
  );
  add(
    'full pipeline peak ≥ 3× Portkey',
    full?.['peakVsPortkey'],
    (x) => x >= 3,
    times(full?.['peakVsPortkey']),
  );
  for (const [name, row, limitMs] of [
    ['minimal', minimal, 0.5],
    ['full', full, 0.8],
  ] as const) {
    add(
      `added p50 at 1 connection < ${limitMs} ms (${name})`,
      row?.['addedP50'],
      (x) => x < limitMs,
      signed(row?.['addedP50']),
    );
  }
  for (const [name, row] of [
    ['minimal', minimal],
    ['full', full],
  ] as const) {
    add(
      `added TTFT < 0.5 ms (${name}, p50)`,
      row?.['addedTtftP50'],
      (x) => x < 0.5,
      signed(row?.['addedTtftP50']),
    );
  }
  for (const [name, row] of [
    ['minimal', minimal],
    ['full', full],
  ] as const) {
    add(
      `RSS after load within 25 % of steady (${name})`,
      row?.['rssAfterVsSteady'],
      (x) => x <= 1.25,
      times(row?.['rssAfterVsSteady']),
    );
  }
  return aims;
}

export function renderAims(aims: readonly Aim[]): string {
  return table(
    ['aim', 'figure', 'met'],
    aims.map((a) => [a.aim, a.figure, a.met === undefined ? '–' : a.met ? 'yes' : '**no**']),
  );
}
