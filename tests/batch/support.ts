/**
 * Helpers of the batch integration tests: real `worker` processes (`node
 * dataplane/src/worker.ts`), a Redis with AOF that can be killed and restarted, and polling
 * with a deadline. Every process started here is stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { readSse, type SseEvent } from '../support/sse.ts';

const repo = join(import.meta.dirname, '../..');

/** Gateway settings that make retries, progress and crash recovery quick enough for tests. */
export const fastBatch = {
  backoffMs: 20,
  progressIntervalMs: 25,
  workers: { inGateway: 0, concurrency: 8, lockMs: 1500, shutdownGraceMs: 1000 },
};

/** Routes of the batch tests: an echo, a slow echo, and one that always fails (retryable). */
export const batchRoutes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    {
      alias: 'slow',
      targets: [{ name: 'slow', provider: 'mock', model: 'echo?firstMs=150', timeoutMs: 30_000 }],
    },
    {
      alias: 'flaky',
      targets: [{ name: 'down', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' }],
      retry: { maxAttempts: 1 },
    },
    {
      alias: 'refused',
      targets: [{ name: 'bad', provider: 'mock', model: 'fail?code=UPSTREAM_BAD_REQUEST' }],
      retry: { maxAttempts: 1 },
    },
  ],
};

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface WorkerProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the exit; resolves with the exit code (null when signalled). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dataplane/src/worker.ts` and waits for its "Started batch worker" log line. */
export async function startWorkerProcess(options: {
  configDir: string;
  redisUrl: string;
  concurrency?: number;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['dataplane/src/worker.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      CONFIG_DIR: options.configDir,
      REDIS_URL: options.redisUrl,
      PORT: '0',
      LOG_LEVEL: 'info',
      ...(options.concurrency === undefined
        ? {}
        : { BATCH_CONCURRENCY: String(options.concurrency) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-65_536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    return child.exitCode;
  };
  try {
    const url = await waitFor(
      'the worker to start',
      () => {
        if (child.exitCode !== null) throw new Error(`The worker exited early:\n${text}`);
        const line = text.split('\n').find((entry) => entry.includes('Started batch worker'));
        return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
      },
      20_000,
    );
    return { pid: child.pid ?? 0, url, child, output: () => text, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface AofRedis {
  url: string;
  /** Kills redis-server (SIGKILL: no chance to flush anything beyond what AOF already has). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server with `appendonly yes` and `appendfsync always`, in its own directory. */
export async function startAofRedis(): Promise<AofRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-aof-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
      ],
      { stdio: 'ignore' },
    );
    child = server;
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    // Refused connections are expected until it listens; each attempt's error is handled below.
    probe.on('error', () => undefined);
    try {
      await waitFor(
        'redis-server to answer',
        async () => {
          if (server.exitCode !== null) throw new Error('redis-server exited');
          try {
            if (probe.status !== 'ready') await probe.connect();
            // While it replays the AOF, Redis answers LOADING (an error): wait for a PONG.
            await probe.ping();
            return true;
          } catch {
            probe.disconnect();
            return undefined;
          }
        },
        10_000,
      );
    } finally {
      probe.disconnect();
    }
  };
  const kill = async () => {
    const server = child;
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** `count` chat items whose content names their index, so results can be matched to items. */
export function chatItems(count: number, model?: string, prefix = 'item') {
  return Array.from({ length: count }, (_, index) => ({
    ...(model === undefined ? {} : { model }),
    messages: [{ role: 'user' as const, content: `${prefix} ${index}` }],
  }));
}

/** The events of a whole SSE body, as `readSse` parses them frame by frame. */
export async function parseSse(body: string): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(new Response(body).body!)) events.push(event);
  return events;
}
