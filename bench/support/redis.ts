/** A throwaway redis-server of the benchmark's own, on loopback, pinned with the load generator. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort, spawnPinned, type Pinned } from './processes.ts';

export interface BenchRedis {
  url: string;
  process: Pinned;
  /** `used_memory` of INFO memory, in bytes. */
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedis(core: string, timeoutMs = 10_000): Promise<BenchRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-redis-'));
  const port = await freePort();
  const server = spawnPinned(
    'redis',
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { core },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline || server.child.exitCode !== null) {
        await server.stop();
        throw new Error(`redis-server did not answer: ${String(error)}\n${server.output()}`, {
          cause: error,
        });
      }
      await sleep(50);
    }
  }
  return {
    url,
    process: server,
    async usedMemory() {
      const info = await client.info('memory');
      return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    },
    async stop() {
      client.disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
