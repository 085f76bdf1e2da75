import type { Redis } from 'ioredis';
import { MemoryStreamStore } from './memory-store.ts';
import {
  isTerminal,
  type DistributiveOmit,
  type StreamEvent,
  type StreamMeta,
  type StreamStore,
} from './store.ts';

/** Appends at the next offset atomically, so any replica may write and offsets never collide. */
const APPEND = `
local n = redis.call('XLEN', KEYS[1]) + 1
redis.call('XADD', KEYS[1], '0-' .. n, 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return n`;

const keys = (streamId: string) =>
  [`stream:{${streamId}}:events`, `stream:{${streamId}}:meta`] as const;

/**
 * The resume buffer shared by every replica, on Redis Streams (one entry per event, id `0-<offset>`).
 * Streams produced by this process are also kept in memory so their live readers never wait on
 * Redis; a resume that lands on another replica reads Redis and then blocks on XREAD for the tail.
 */
export class RedisStreamStore implements StreamStore {
  readonly #redis: Redis;
  readonly #local: MemoryStreamStore;
  readonly #ttlMs: number;
  readonly #blockMs: number;
  readonly #readers = new Set<Redis>();

  constructor(redis: Redis, options: { ttlMs?: number; blockMs?: number } = {}) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#blockMs = options.blockMs ?? 1_000;
    this.#local = new MemoryStreamStore({ ttlMs: this.#ttlMs });
    redis.defineCommand('streamAppend', { numberOfKeys: 2, lua: APPEND });
  }

  async create(streamId: string, meta: StreamMeta): Promise<void> {
    const [, metaKey] = keys(streamId);
    await this.#redis
      .multi()
      .hset(metaKey, { tenant: meta.tenant, model: meta.model })
      .pexpire(metaKey, this.#ttlMs)
      .exec();
    await this.#local.create(streamId, meta);
  }

  async meta(streamId: string): Promise<StreamMeta | undefined> {
    const local = await this.#local.meta(streamId);
    if (local !== undefined) return local;
    const [, metaKey] = keys(streamId);
    const fields = await this.#redis.hgetall(metaKey);
    if (fields['tenant'] === undefined || fields['model'] === undefined) return undefined;
    return { tenant: fields['tenant'], model: fields['model'] };
  }

  async append(streamId: string, event: DistributiveOmit<StreamEvent, 'offset'>): Promise<number> {
    const [eventsKey, metaKey] = keys(streamId);
    const redis = this.#redis as unknown as AppendCommand;
    const offset = await redis.streamAppend(eventsKey, metaKey, JSON.stringify(event), this.#ttlMs);
    if ((await this.#local.meta(streamId)) !== undefined) await this.#local.append(streamId, event);
    return offset;
  }

  async *tail(
    streamId: string,
    afterOffset: number,
    signal: AbortSignal,
  ): AsyncIterable<StreamEvent> {
    if ((await this.#local.meta(streamId)) !== undefined) {
      yield* this.#local.tail(streamId, afterOffset, signal);
      return;
    }
    const [eventsKey] = keys(streamId);
    const reader = this.#redis.duplicate();
    this.#readers.add(reader);
    const stop = () => {
      reader.disconnect();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      let cursor = `0-${afterOffset}`;
      while (!signal.aborted) {
        const batch = await reader.xread(
          'COUNT',
          512,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          eventsKey,
          cursor,
        );
        for (const [, entries] of batch ?? []) {
          for (const [id, fields] of entries) {
            cursor = id;
            const event = {
              ...(JSON.parse(fields[1] ?? '{}') as object),
              offset: Number(id.slice(2)),
            } as StreamEvent;
            yield event;
            if (isTerminal(event)) return;
          }
        }
        if (batch === null && (await this.#redis.exists(eventsKey)) === 0) return;
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      this.#readers.delete(reader);
      reader.disconnect();
    }
  }

  async close(): Promise<void> {
    for (const reader of this.#readers) reader.disconnect();
    await this.#local.close();
  }
}

interface AppendCommand {
  streamAppend(eventsKey: string, metaKey: string, event: string, ttlMs: number): Promise<number>;
}
