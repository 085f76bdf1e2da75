/**
 * How the GA gate runs one command: argv only (no shell), bounded in time, output kept for the
 * report's tail; and how it reads a vitest run's JSON report into counts.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type Verdict = 'PASS' | 'FAIL' | 'NOT RUN';

export interface CheckResult {
  name: string;
  verdict: Verdict;
  /** The figure the verdict rests on, or why the check could not run. */
  figure: string;
  command: string;
  /** The last lines of the command's output, for a failure's reason. */
  tail?: string;
}

export interface Ran {
  code: number | null;
  output: string;
}

export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs: number; echo?: boolean },
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (data: Buffer) => {
      const text = data.toString('utf8');
      if (options.echo === true) process.stderr.write(text);
      output = (output + text).slice(-64_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n[ga-gate: killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export const tail = (output: string, lines = 15): string =>
  output.trimEnd().split('\n').slice(-lines).join('\n');

export interface VitestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts of a `vitest run --reporter=json --outputFile=<file>` report, or undefined if absent. */
export async function vitestCounts(file: string): Promise<VitestCounts | undefined> {
  try {
    const report = JSON.parse(await readFile(file, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests?: number;
    };
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + (report.numTodoTests ?? 0),
    };
  } catch {
    return undefined;
  }
}
