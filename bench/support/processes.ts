/**
 * Processes under benchmark: started pinned to a core, read from /proc, stopped by their PID
 * only. Every wait here is bounded in time.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The core the systems under test run on; the mock and the load generator share CORE_LOAD. */
export const CORE_SUT = '1';
export const CORE_LOAD = '0';

export interface Pinned {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Lines of its output, kept for an error message (the last 50). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const started = new Set<Pinned>();

/** Kills every process this benchmark started (by PID) when the benchmark itself exits. */
process.once('exit', () => {
  for (const child of started) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.exit(130);
  });
}

export interface SpawnOptions {
  /** Core list for `taskset -c`. */
  core: string;
  env?: NodeJS.ProcessEnv;
  /** Raise the soft open-files limit of this process to this (bash's `ulimit -n`). */
  openFiles?: number;
  /** Write its output to this file (truncated) rather than keeping a tail in memory. */
  logFile?: string;
}

/**
 * Starts `command args` pinned with `taskset -c <core>`. taskset execs the command, so the
 * PID is the command's own and /proc/<pid> describes it.
 */
export function spawnPinned(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): Pinned {
  const argv = ['-c', options.core, command, ...args];
  const [file, fileArgs] =
    options.openFiles === undefined
      ? ['taskset', argv]
      : [
          'bash',
          ['-c', `ulimit -n ${options.openFiles} && exec taskset "$@"`, 'bench-ulimit', ...argv],
        ];
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w');
  const child = spawn(file, fileArgs, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd);
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  const lines: string[] = [];
  const keep = (data: Buffer) => {
    lines.push(...data.toString('utf8').split('\n'));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
  const pid = child.pid;
  const pinned: Pinned = {
    name,
    pid,
    child,
    output: () =>
      options.logFile === undefined
        ? lines.join('\n')
        : readFileSync(options.logFile, 'utf8').slice(-4000),
    async stop(graceMs = 5000) {
      started.delete(pinned);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(pinned);
  return pinned;
}

/** Resolves with the port a child prints as `READY <port>` on stdout. */
export async function readyPort(pinned: Pinned, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /^READY (\d+)$/m.exec(pinned.output());
    if (match !== null) return Number(match[1]);
    if (pinned.child.exitCode !== null) break;
    await sleep(20);
  }
  throw new Error(`${pinned.name} did not print READY in ${timeoutMs} ms:\n${pinned.output()}`);
}

/** Polls `url` until it answers with a status below 500 (or `ok`'s choice). */
export async function waitHttp(
  pinned: Pinned,
  url: string,
  timeoutMs = 30_000,
  ok: (status: number) => boolean = (status) => status < 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pinned.child.exitCode !== null) break;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (ok(response.status)) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`${pinned.name} did not answer ${url} in ${timeoutMs} ms:\n${pinned.output()}`);
}

/** A TCP port that was free a moment ago (the OS's pick on 127.0.0.1). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** User plus system CPU seconds a process has used (/proc/<pid>/stat, every thread). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ")"; utime and stime are
  // the 14th and 15th fields, so the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size in bytes (/proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** Samples RSS every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let max = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssBytes(pid));
    } catch {
      // The process exited; keep what was seen.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/** Pins this process (every thread) to `core`, so that the load generator stays off CORE_SUT. */
export function pinSelf(core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(process.pid)], { stdio: 'ignore' });
}
