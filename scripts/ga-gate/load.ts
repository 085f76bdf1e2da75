/**
 * The GA gate's load checks (issue #29): bench/ga-load.ts run (or its JSON report read from
 * GA_GATE_LOAD_FROM, named on every line) and its figures held to the aims.
 */
import { readFile } from 'node:fs/promises';
import { run, tail, type CheckResult } from './run.ts';

export const AIMS = {
  users: 1000,
  loadS: 300,
  syncP99Ms: 500,
  ttftP99Ms: 500,
  errorRate: 0.01,
  resumeSuccess: 0.99,
} as const;

interface LoadFigures {
  users: number;
  loadS: number;
  requests: number;
  ratePerS: number;
  errorRate: number;
  sync: { n: number; p50Ms: number; p99Ms: number };
  stream: { n: number; ttftP99Ms: number };
  resume: { n: number; success: number };
  rss: { warm: number; end: number; bound: number; growth: number };
}

export async function loadChecks(reportFile: string): Promise<CheckResult[]> {
  const from = process.env['GA_GATE_LOAD_FROM'];
  const command =
    from === undefined ? `GA_LOAD_OUT=${reportFile} node bench/ga-load.ts` : `read ${from}`;
  let source = reportFile;
  if (from === undefined) {
    const ran = await run('node', ['bench/ga-load.ts'], {
      env: { GA_LOAD_OUT: reportFile },
      timeoutMs: 1000 * (Number(process.env['GA_LOAD_S'] ?? 300) + 300),
      echo: true,
    });
    if (ran.code !== 0) {
      return [
        {
          name: 'load',
          verdict: 'FAIL',
          figure: `ga-load exited ${ran.code}`,
          command,
          tail: tail(ran.output),
        },
      ];
    }
  } else source = from;
  let f: LoadFigures;
  try {
    f = JSON.parse(await readFile(source, 'utf8')) as LoadFigures;
  } catch (error) {
    return [
      {
        name: 'load',
        verdict: 'FAIL',
        figure: `no report at ${source}: ${String(error)}`,
        command,
      },
    ];
  }
  const at = `${f.users} users, ${f.loadS} s, ${f.requests} requests`;
  const check = (name: string, ok: boolean, figure: string): CheckResult => ({
    name,
    verdict: ok ? 'PASS' : 'FAIL',
    figure: `${figure} (${at})`,
    command,
  });
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return [
    check(
      'load shape',
      f.users >= AIMS.users && f.loadS >= AIMS.loadS,
      `aim ≥ ${AIMS.users} users for ≥ ${AIMS.loadS} s; ${f.ratePerS.toFixed(1)} req/s`,
    ),
    check(
      'sync p99',
      f.sync.p99Ms < AIMS.syncP99Ms,
      `${f.sync.p99Ms.toFixed(1)} ms (p50 ${f.sync.p50Ms.toFixed(1)}; aim < ${AIMS.syncP99Ms})`,
    ),
    check(
      'stream TTFT p99',
      f.stream.ttftP99Ms < AIMS.ttftP99Ms,
      `${f.stream.ttftP99Ms.toFixed(1)} ms (aim < ${AIMS.ttftP99Ms})`,
    ),
    check(
      'errors',
      f.errorRate < AIMS.errorRate,
      `${(f.errorRate * 100).toFixed(2)} % (aim < ${AIMS.errorRate * 100} %)`,
    ),
    check(
      'resume success',
      f.resume.n > 0 && f.resume.success >= AIMS.resumeSuccess,
      `${(f.resume.success * 100).toFixed(1)} % of ${f.resume.n} (aim ≥ ${AIMS.resumeSuccess * 100} %)`,
    ),
    check(
      'memory (soak bound)',
      f.rss.growth <= f.rss.bound,
      `RSS ${mib(f.rss.warm)} after warm-up, ${mib(f.rss.end)} at the end: ${f.rss.growth.toFixed(2)} × (bound ${f.rss.bound} ×)`,
    ),
  ];
}
