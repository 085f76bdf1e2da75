/**
 * The security review's checks of the GA gate (docs/ga-gate.md): each runs a real tool or test
 * suite and says PASS or FAIL with its figure, or NOT RUN with the reason it could not run here
 * (never a pass for something that did not run).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { run, tail, vitestCounts, type CheckResult } from './run.ts';

const SEMGREP_DIR = '.tmp/semgrep';
const SEMGREP_TARGETS = ['dataplane/', 'operator/', 'crds/', 'scripts/'];
/** semgrep's JSON report, apart from its progress output (which goes to stderr with it). */
const JSON_REPORT = '.tmp/ga-gate/semgrep.json';

/** zizmor on .github/workflows, as `make lint` runs it. */
export async function workflowAudit(): Promise<CheckResult> {
  const command = 'make workflow-audit';
  const ran = await run('make', ['--no-print-directory', 'workflow-audit'], { timeoutMs: 300_000 });
  const findings = /no findings|\d+ findings?/i.exec(ran.output)?.[0] ?? 'no findings line';
  return ran.code === 0
    ? { name: 'workflow audit (zizmor)', verdict: 'PASS', figure: findings, command }
    : {
        name: 'workflow audit (zizmor)',
        verdict: 'FAIL',
        figure: `exit ${ran.code}: ${findings}`,
        command,
        tail: tail(ran.output),
      };
}

/** semgrep with the project's own rules (.semgrep/rules.yml): their own test, then the scan. */
export async function semgrep(): Promise<CheckResult> {
  const name = 'semgrep (.semgrep/rules.yml)';
  const bin = `${SEMGREP_DIR}/bin/semgrep`;
  const command = `semgrep --config .semgrep --metrics=off --error ${SEMGREP_TARGETS.join(' ')}`;
  if (!existsSync(bin)) {
    return { name, verdict: 'NOT RUN', figure: `${bin} missing (make semgrep-install)`, command };
  }
  const env = {
    PATH: `${process.cwd()}/${SEMGREP_DIR}/bin:${process.env['PATH'] ?? ''}`,
    PYTHONPATH: SEMGREP_DIR,
  };
  const common = ['--metrics=off', '--disable-version-check'];
  const tested = await run(
    bin,
    ['--test', ...common, '--config', '.semgrep/rules.yml', '.semgrep/rules.ts'],
    { env, timeoutMs: 300_000 },
  );
  if (tested.code !== 0) {
    return {
      name,
      verdict: 'FAIL',
      figure: "the rules' own test failed (.semgrep/rules.ts)",
      command,
      tail: tail(tested.output),
    };
  }
  const scan = await run(
    bin,
    [
      '--config',
      '.semgrep',
      ...common,
      '--error',
      `--json-output=${JSON_REPORT}`,
      ...SEMGREP_TARGETS,
    ],
    { env, timeoutMs: 600_000 },
  );
  let report: { results: unknown[]; errors: unknown[]; paths?: { scanned?: unknown[] } };
  try {
    report = JSON.parse(await readFile(JSON_REPORT, 'utf8')) as typeof report;
  } catch {
    return { name, verdict: 'FAIL', figure: 'no JSON report', command, tail: tail(scan.output) };
  }
  const figure = `${report.results.length} findings, ${report.errors.length} errors, ${report.paths?.scanned?.length ?? '?'} files, rules tested`;
  const ok = scan.code === 0 && report.results.length === 0 && report.errors.length === 0;
  return ok
    ? { name, verdict: 'PASS', figure, command }
    : { name, verdict: 'FAIL', figure, command, tail: tail(scan.output) };
}

/** A vitest suite: PASS only when every test ran and passed (a skipped test is not a pass). */
export async function vitestSuite(
  name: string,
  files: readonly string[],
  reportFile: string,
): Promise<CheckResult> {
  const command = `npx vitest run ${files.join(' ')}`;
  const ran = await run(
    'npx',
    ['vitest', 'run', ...files, '--reporter=json', `--outputFile=${reportFile}`],
    { timeoutMs: 600_000 },
  );
  const counts = await vitestCounts(reportFile);
  if (counts === undefined) {
    return {
      name,
      verdict: 'FAIL',
      figure: `no report (exit ${ran.code})`,
      command,
      tail: tail(ran.output),
    };
  }
  const figure = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  if (counts.failed > 0 || ran.code !== 0) {
    return { name, verdict: 'FAIL', figure, command, tail: tail(ran.output) };
  }
  if (counts.skipped > 0 || counts.passed === 0) {
    return { name, verdict: 'NOT RUN', figure: `${figure} (a skipped test did not run)`, command };
  }
  return { name, verdict: 'PASS', figure, command };
}

/**
 * npm audit against the registry's advisory endpoint. Where that endpoint does not answer (an
 * offline mirror) the audit did not run: NOT RUN with npm's own words.
 */
export async function dependencyAudit(): Promise<CheckResult> {
  const name = 'dependency audit (npm audit)';
  const command = 'npm audit --json';
  const ran = await run('npm', ['audit', '--json'], { timeoutMs: 120_000 });
  let report: {
    metadata?: { vulnerabilities?: Record<string, number> };
    error?: { code?: string; summary?: string };
  };
  try {
    report = JSON.parse(ran.output.slice(ran.output.indexOf('{'))) as typeof report;
  } catch {
    return {
      name,
      verdict: 'NOT RUN',
      figure: `npm audit gave no report: ${tail(ran.output, 2)}`,
      command,
    };
  }
  const counts = report.metadata?.vulnerabilities;
  if (counts === undefined) {
    const why = report.error?.summary ?? report.error?.code ?? 'no advisory answer';
    return {
      name,
      verdict: 'NOT RUN',
      figure: `the registry has no advisory endpoint here: ${why.trim().split('\n')[0]}`,
      command,
    };
  }
  const serious = (counts['high'] ?? 0) + (counts['critical'] ?? 0);
  const figure = Object.entries(counts)
    .map(([level, count]) => `${level} ${count}`)
    .join(', ');
  return { name, verdict: serious === 0 ? 'PASS' : 'FAIL', figure, command };
}

/**
 * A vulnerability scan of the images' SBOMs (.tmp/images/, make images-check) with grype or
 * trivy where one is installed with its database; neither can download a database here.
 */
export async function imageScan(): Promise<CheckResult> {
  const name = 'container image scan';
  for (const tool of ['grype', 'trivy']) {
    const found = await run('sh', ['-c', `command -v ${tool}`], { timeoutMs: 10_000 });
    if (found.code === 0) {
      return {
        name,
        verdict: 'NOT RUN',
        figure: `${tool} is installed but the gate does not drive it yet (see docs/ga-gate.md)`,
        command: tool,
      };
    }
  }
  const sboms = existsSync('.tmp/images/report.json')
    ? 'SBOMs in .tmp/images/'
    : 'no SBOMs yet (make images-check)';
  return {
    name,
    verdict: 'NOT RUN',
    figure: `no vulnerability scanner nor database can be installed offline (grype/trivy absent); ${sboms}`,
    command: 'grype sbom:<.tmp/images/*.spdx.json>',
  };
}
