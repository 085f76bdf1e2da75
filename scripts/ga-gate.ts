/**
 * The GA gate (issue #29, docs/ga-gate.md): the final load and the security review, one line
 * per check with its figure and PASS, FAIL or NOT RUN; .tmp/ga-gate/report.json; exit 0 only
 * when every check passed (a check that could not run fails the gate).
 *
 *   make ga-gate     GA_GATE_LOAD_FROM=<ga-load JSON> reads a finished load instead of running it
 *                    GA_GATE_ONLY=security|load runs one half (the report says which)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadChecks } from './ga-gate/load.ts';
import type { CheckResult } from './ga-gate/run.ts';
import {
  dependencyAudit,
  imageScan,
  semgrep,
  vitestSuite,
  workflowAudit,
} from './ga-gate/security.ts';

const OUT = '.tmp/ga-gate';
/** The JWT negative suites (dataplane/src/security) and the mTLS ones (tests/security). */
export const AUTH_SUITES = [
  'dataplane/src/security/authn.test.ts',
  'dataplane/src/security/authn-errors.test.ts',
  'dataplane/src/security/authz.test.ts',
  'dataplane/src/security/client-identity.test.ts',
  'tests/security/listener.test.ts',
  'tests/security/mtls.test.ts',
  'tests/security/upstream-mtls.test.ts',
  'tests/security/model-server-mtls.test.ts',
  'tests/security/model-probe-mtls.test.ts',
  'tests/security/rotation.test.ts',
];

await mkdir(OUT, { recursive: true });
const only = process.env['GA_GATE_ONLY'];
const results: CheckResult[] = [];
const print = (result: CheckResult) => {
  results.push(result);
  console.log(`${result.verdict.padEnd(7)} ${result.name}: ${result.figure}`);
  if (result.verdict === 'FAIL' && result.tail !== undefined) {
    console.log(result.tail.replace(/^/gm, '        | '));
  }
};

if (only !== 'load') {
  print(await workflowAudit());
  print(await semgrep());
  print(
    await vitestSuite(
      'schemathesis, every route with auth on',
      ['tests/api/schemathesis.test.ts'],
      `${OUT}/schemathesis.json`,
    ),
  );
  print(await vitestSuite('JWT and mTLS negative suites', AUTH_SUITES, `${OUT}/auth-suites.json`));
  print(await dependencyAudit());
  print(await imageScan());
}
if (only !== 'security') {
  for (const result of await loadChecks(`${OUT}/load.json`)) print(result);
}

const passed = results.every((result) => result.verdict === 'PASS');
const count = (verdict: string) => results.filter((result) => result.verdict === verdict).length;
const summary = `${count('PASS')} pass, ${count('FAIL')} fail, ${count('NOT RUN')} not run${only === undefined ? '' : ` (GA_GATE_ONLY=${only}: not the whole gate)`}`;
console.log(`\nGA gate: ${passed && only === undefined ? 'PASS' : 'FAIL'} (${summary})`);
await writeFile(
  `${OUT}/report.json`,
  JSON.stringify(
    { at: new Date().toISOString(), passed: passed && only === undefined, only, results },
    null,
    2,
  ),
);
console.log(`report: ${OUT}/report.json`);
process.exit(passed && only === undefined ? 0 : 1);
