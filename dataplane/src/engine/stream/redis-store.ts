import type { Redis } from 'ioredis';
import { ApiError } from '../../errors/api-error.ts';
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

/**
 * Ends a stream whose producer is gone: when its lease (KEYS[2]) has lapsed and its last event
 * is not terminal, appends ARGV[1] (an error) as its terminal event. Returns the offset, or 0.
 */
const END_ORPHAN = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not last or cjson.decode(last[2][2]).type ~= 'data' then return 0 end
local n = redis.call('XLEN', KEYS[1]) + 1
redis.call('XADD', KEYS[1], '0-' .. n, 'e', ARGV[1])
return n`;

const keys = (streamId: string) =>
  [
    `stream:{${streamId}}:events`,
    `stream:{${streamId}}:meta`,
    `stream:{${streamId}}:lease`,
  ] as const;

/** What a reader elsewhere gets when the replica producing a stream stopped mid-answer. */
const PRODUCER_LOST = JSON.stringify({
  type: 'error',
  error: new ApiError(
    'UPSTREAM_UNAVAILABLE',
    'The replica producing this answer stopped before it ended; ask again.',
    { details: { reason: 'producer_lost' } },
  ).toBody().error,
});

/**
 * The resume buffer shared by every replica, on Redis Streams (one entry per event, id `0-<offset>`).
 * Streams produced by this process are also kept in memory so their live readers never wait on
 * Redis; a resume that lands on another replica reads Redis and then blocks on XREAD for the tail.
 * The producer holds a lease on each stream it writes (`leaseMs`, renewed a third of that
 * apart until the stream ends); a remote reader that finds the tail quiet and the lease lapsed
 * ends the stream with a retryable `UPSTREAM_UNAVAILABLE` (`producer_lost`) instead of waiting
 * out the resume window.
 */
export class RedisStreamStore implements StreamStore {
  readonly #redis: Redis;
  readonly #local: MemoryStreamStore;
  readonly #ttlMs: number;
  readonly #blockMs: number;
  readonly #readers = new Set<Redis>();
  readonly #leaseMs: number;
  /** Streams this process produces that have not ended: their leases are renewed. */
  readonly #producing = new Set<string>();
  readonly #renewal: NodeJS.Timeout;

  constructor(redis: Redis, options: { ttlMs?: number; blockMs?: number; leaseMs?: number } = {}) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#blockMs = options.blockMs ?? 1_000;
    this.#leaseMs = options.leaseMs ?? 3_000;
    this.#local = new MemoryStreamStore({ ttlMs: this.#ttlMs });
    redis.defineCommand('streamAppend', { numberOfKeys: 2, lua: APPEND });
    redis.defineCommand('streamEndOrphan', { numberOfKeys: 2, lua: END_ORPHAN });
    this.#renewal = setInterval(() => {
      this.#renew();
    }, this.#leaseMs / 3);
    this.#renewal.unref();
  }

  async create(streamId: string, meta: StreamMeta): Promise<void> {
    const [, metaKey, leaseKey] = keys(streamId);
    await this.#redis
      .multi()
      .hset(metaKey, { tenant: meta.tenant, model: meta.model })
      .pexpire(metaKey, this.#ttlMs)
      .set(leaseKey, '1', 'PX', this.#leaseMs)
      .exec();
    this.#producing.add(streamId);
    await this.#local.create(streamId, meta);
  }

  /** The producer is done: the lease lapses, so a stream left without its end is ended. */
  finish(streamId: string): void {
    this.#producing.delete(streamId);
  }

  #renew(): void {
    if (this.#producing.size === 0) return;
    const renewals = this.#redis.pipeline();
    for (const streamId of this.#producing) renewals.pexpire(keys(streamId)[2], this.#leaseMs);
    // A renewal Redis could not take is retried at the next tick; readers wait the lease out.
    renewals.exec().catch(() => undefined);
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
    if (event.type !== 'data') this.#producing.delete(streamId);
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
    const [eventsKey, , leaseKey] = keys(streamId);
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
        if (batch !== null) continue;
        if ((await this.#redis.exists(eventsKey)) === 0) return;
        // Quiet: if the producer is gone, the stream gets its terminal error (read next turn).
        await (this.#redis as unknown as AppendCommand).streamEndOrphan(
          eventsKey,
          leaseKey,
          PRODUCER_LOST,
        );
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
    clearInterval(this.#renewal);
    this.#producing.clear();
    for (const reader of this.#readers) reader.disconnect();
    await this.#local.close();
  }
}

interface AppendCommand {
  streamAppend(eventsKey: string, metaKey: string, event: string, ttlMs: number): Promise<number>;
  streamEndOrphan(eventsKey: string, leaseKey: string, event: string): Promise<number>;
}
