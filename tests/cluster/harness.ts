// Starts and stops the test control plane (tests/cluster/bin/cluster, see docs/testing.md) and a
// throwaway redis-server. No dependencies beyond node: builtins, so a vitest global setup can
// import it before anything else is loaded.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The multi-call binary that build.sh builds. */
export const clusterBinary = join(here, 'bin', 'cluster');
/** A symlink to clusterBinary that acts as kubectl of the same version. */
export const kubectlBinary = join(here, 'bin', 'kubectl');

export interface Cluster {
  /** Admin kubeconfig (client certificate CN=admin, O=system:masters). */
  kubeconfig: string;
  /** The cluster's directory: CA, keys, kubeconfigs, etcd data and one log file per component. */
  dir: string;
  /** Stops every process of the cluster and removes dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Also run kube-controller-manager: garbage collection, namespace deletion, ServiceAccounts, Deployments. */
  controllerManager?: boolean;
  /** Also run kube-scheduler and kwok with one simulated Node (implies controllerManager). */
  nodes?: boolean;
  /** How long to wait for the READY line; default 180 s. */
  timeoutMs?: number;
}

/** Runs tests/cluster/build.sh, which builds the binary only when missing or stale. */
export async function buildCluster(): Promise<void> {
  const child = spawn(join(here, 'build.sh'), [], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tests/cluster/build.sh exited with ${String(code)}`);
}

/**
 * Starts kube-apiserver on embedded etcd (and more, per opts) on free loopback ports, in a new
 * temporary directory, and resolves once the API server is ready.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-'));
  const args = ['up', '--dir', dir, '--exit-with-stdin', '--remove-dir'];
  if (opts.controllerManager === true) args.push('--with-controller-manager');
  if (opts.nodes === true) args.push('--with-nodes');
  // Its own process group, so that stop() reaches every component; stdin stays open as a
  // lifeline: if this process dies, the pipe closes and the cluster shuts itself down and
  // removes dir.
  const child = spawn(clusterBinary, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = tail(child, 'stderr');
  const stop = once_(async () => {
    await stopGroup(child, 30_000);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  try {
    const line = await readyLine(child, opts.timeoutMs ?? 180_000);
    return { kubeconfig: line.slice('READY '.length), dir, stop };
  } catch (err) {
    await stop();
    throw new Error(`cluster up failed: ${(err as Error).message}\n${stderr()}`, { cause: err });
  }
}

/**
 * Writes a kubeconfig for any identity, signed by the cluster's CA: the API server takes the
 * certificate's CN as the user and its O values as groups, and RBAC applies to them for real.
 * Resolves to the kubeconfig's path (by default inside dir).
 */
export async function mintKubeconfig(
  dir: string,
  user: string,
  groups: readonly string[] = [],
  out: string = join(dir, `${user.replaceAll(/[^A-Za-z0-9_.-]/g, '_')}.kubeconfig`),
): Promise<string> {
  const args = ['kubeconfig-for', '--dir', dir, '--user', user, '--out', out];
  for (const g of groups) args.push('--group', g);
  await promisify(execFile)(clusterBinary, args);
  return out;
}

/** The user and groups that the API server gives ServiceAccount namespace/name. */
export function serviceAccountIdentity(
  namespace: string,
  name: string,
): { user: string; groups: string[] } {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}

/** The Kubernetes version that tests/cluster/go.mod pins, e.g. "v1.37.2". */
export async function pinnedKubernetesVersion(): Promise<string> {
  const goMod = await readFile(join(here, 'go.mod'), 'utf8');
  const match = /k8s\.io\/kubernetes (v1\.\d+\.\d+)/.exec(goMod);
  if (!match?.[1]) throw new Error('tests/cluster/go.mod pins no k8s.io/kubernetes version');
  return match[1];
}

export interface Redis {
  /** redis://127.0.0.1:PORT */
  url: string;
  /** Stops redis-server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port, without persistence, in a temporary directory. */
export async function startRedis(timeoutMs = 10_000): Promise<Redis> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-'));
  const port = await freePort();
  const redisArgs = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  // redis-server has no lifeline of its own: a small shell holds our stdin pipe and ends redis
  // (and removes its directory) when the pipe closes, i.e. when this process dies without stop().
  const child = spawn('sh', ['-c', redisLifeline, 'sh', dir, ...redisArgs, '--dir', dir], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = tail(child, 'stdout', 'stderr');
  const stop = once_(async () => {
    await stopGroup(child, 10_000);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  try {
    await waitForPong(child, port, timeoutMs);
    return { url: `redis://127.0.0.1:${port}`, stop };
  } catch (err) {
    await stop();
    throw new Error(`redis-server failed: ${(err as Error).message}\n${output()}`, { cause: err });
  }
}

// --- process plumbing -------------------------------------------------------------------------

/** The sh -c script of startRedis: $1 is the directory, the rest are redis-server's arguments. */
const redisLifeline = `
command -v redis-server >/dev/null || { echo 'redis-server is not on PATH (make redis installs it)' >&2; exit 127; }
dir="$1"; shift
redis-server "$@" &
cat >/dev/null
kill $! 2>/dev/null; wait; rm -rf "$dir"
`;

/** Resolves with the first stdout line that starts with READY; rejects on exit or timeout. */
function readyLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      finish(new Error(`no READY line after ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('READY ')) {
          finish(undefined, line);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish(new Error(`exited with ${signal ?? String(code)} before READY`));
    };
    const onError = (err: Error): void => {
      finish(err);
    };
    function finish(err: Error | undefined, line?: string): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout?.resume(); // keep draining: a full pipe would block the cluster
      if (err) reject(err);
      else resolve(line ?? '');
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * SIGTERM to the child's process group, then waits until the child has exited and no process is
 * left in its group; SIGKILL to the group if that takes longer than graceMs.
 */
async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return; // never started
  const exited = child.exitCode !== null || child.signalCode !== null;
  const exit = exited ? Promise.resolve() : once(child, 'exit');
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer); // a pending timer would keep the test runner alive
  while (signalGroup(pid, 0) && Date.now() < deadline) await sleep(20);
  if (signalGroup(pid, 0)) {
    signalGroup(pid, 'SIGKILL');
    await exit;
  }
  child.stdin?.destroy();
}

/** Sends signal to process group pid; false if the group no longer exists. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Keeps the last 64 KiB of the given output streams (reading them, so that a full pipe never
 * blocks the child) and notes a failure to spawn.
 */
function tail(child: ChildProcess, ...streams: ('stdout' | 'stderr')[]): () => string {
  let text = '';
  const keep = (chunk: Buffer | string): void => {
    text = (text + chunk.toString()).slice(-65_536);
  };
  for (const s of streams) child[s]?.on('data', keep);
  child.on('error', (err) => {
    keep(`\n${err.message}\n`);
  });
  return () => text;
}

function once_(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

async function waitForPong(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new Error('redis-server did not start or exited early');
    }
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`no PONG on port ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => {
      resolve(reply.startsWith('+PONG'));
    });
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => {
      resolve(false);
    });
  });
}
