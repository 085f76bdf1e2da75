/**
 * `node dataplane/src/model-server.ts` as a real process on a free port, for the model
 * server's tests: started with the env a pod would get, optionally through a wrapper command
 * (`prefix`, e.g. one that joins a cgroup first), stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../support/eventually.ts';

export const REPO = join(import.meta.dirname, '../..');
export const TINY = join(REPO, 'models/tiny');
export const TINY_ANSWER =
  'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.';

export interface ModelServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the model server; resolves once it listens (not once it is ready). */
export async function spawnModelServer(
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<ModelServerProcess> {
  const argv = [
    ...prefix,
    process.execPath,
    // As the operator renders the pod: gc() after an unload, and glibc returning freed
    // weights to the kernel (docs/models.md, "Memory after an unload").
    '--expose-gc',
    join(REPO, 'dataplane/src/model-server.ts'),
  ];
  const child = spawn(argv[0] ?? '', argv.slice(1), {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MALLOC_MMAP_THRESHOLD_: '131072',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // 'close' comes after the exit and the last of its output.
  let closed = false;
  child.once('close', () => (closed = true));
  // Listening or gone, whichever comes first: a server that fails its load exits right after
  // it listened, so the line is looked for before the exit.
  const url = await eventually(
    async () => {
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (listening !== undefined) return listening;
      return closed ? '' : undefined;
    },
    30_000,
    25,
  );
  if (url === '') throw new Error(`The model server exited before it listened:\n${output}`);
  return {
    url,
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits until `/readyz` answers 200 (the model loaded and warmed up). */
export async function waitReady(server: ModelServerProcess, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      if (server.child.exitCode !== null)
        throw new Error(`The model server exited:\n${server.output()}`);
      const response = await fetch(`${server.url}/readyz`);
      return response.status === 200;
    },
    timeoutMs,
    50,
  );
}

/** One sample of a Prometheus text exposition, or undefined. */
export async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
