import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BEGIN, CANCEL, COMPLETE, DEAD_LETTERS, DISPATCH, FAIL, RELEASE, SUBMIT } from './lua.ts';
import {
  refOf,
  type BatchItem,
  type BatchRecord,
  type BatchStatus,
  type DeadLetter,
  type InputFormat,
  type ItemResult,
} from './types.ts';

/** A Lua script run by its SHA, loaded again when Redis has lost it (a restart, a failover). */
class Script {
  readonly #lua: string;
  readonly #sha: string;

  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, 0, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#lua, 0, ...args);
    }
  }
}

const scripts = {
  submit: new Script(SUBMIT),
  dispatch: new Script(DISPATCH),
  begin: new Script(BEGIN),
  release: new Script(RELEASE),
  complete: new Script(COMPLETE),
  fail: new Script(FAIL),
  cancel: new Script(CANCEL),
  deadLetters: new Script(DEAD_LETTERS),
};

export type SubmitOutcome =
  | { kind: 'created' | 'existing'; batchId: string }
  | { kind: 'conflict'; batchId: string }
  | { kind: 'limited'; queued: number };

export type BeginOutcome =
  | { kind: 'skip' }
  | { kind: 'cancelled' }
  | {
      kind: 'run';
      item: BatchItem;
      model: string | undefined;
      tenant: string;
      executions: number;
      format: InputFormat;
      taskId: string;
      /** The agent type that submitted the batch (docs/agents.md); undefined: no agent. */
      agent: string | undefined;
    };

export interface TenantStats {
  queued: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
  dlq: number;
}

export interface StoreOptions {
  /** Prefix of every key. @default 'inference:batch:' */
  prefix?: string;
  /** How long a finished batch is kept, in seconds. */
  retentionS: () => number;
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
}

/** Staged items wait this long for their submit to commit. */
const STAGING_TTL_S = 3600;
const STAGE_CHUNK = 1000;

/**
 * The batch engine's state in Redis. Every transition is one Lua script (lua.ts), so replicas
 * and workers may race freely: an item's result is recorded once, and counters move with it.
 */
export class BatchStore {
  readonly redis: Redis;
  readonly prefix: string;
  readonly #retentionS: () => number;
  readonly #now: () => number;

  constructor(redis: Redis, options: StoreOptions) {
    this.redis = redis;
    this.prefix = options.prefix ?? 'inference:batch:';
    this.#retentionS = options.retentionS;
    this.#now = options.now ?? Date.now;
  }

  #run(script: Script, args: readonly (string | number)[]): Promise<unknown> {
    return script.run(this.redis, [this.prefix, this.#now(), this.#retentionS(), ...args]);
  }

  #key(...parts: string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /** The batch a task id names, with the hash of its payload. */
  async task(
    tenant: string,
    taskId: string,
  ): Promise<{ batchId: string; hash: string } | undefined> {
    const [batchId, hash] = await this.redis.hmget(
      this.#key('task', tenant, taskId),
      'batch',
      'hash',
    );
    return batchId == null || hash == null ? undefined : { batchId, hash };
  }

  async stats(tenant: string): Promise<TenantStats> {
    const fields = await this.redis.hgetall(this.#key('t', tenant));
    const read = (name: string) => Number(fields[name] ?? 0);
    return {
      queued: read('queued'),
      running: read('running'),
      done: read('done'),
      failed: read('failed'),
      cancelled: read('cancelled'),
      dlq: read('dlq'),
    };
  }

  async tenants(): Promise<string[]> {
    return (await this.redis.smembers(this.#key('tenants'))).sort();
  }

  /**
   * Stages the items under a new batch id, then commits the batch atomically: the idempotency
   * record, the tenant's queue limit and the tenant's queue, all at once. A losing duplicate
   * drops its staged copy.
   */
  async submit(input: {
    tenant: string;
    taskId: string;
    batchId: string;
    hash: string;
    items: readonly BatchItem[];
    model: string | undefined;
    format: InputFormat;
    maxQueued: number;
    /** The submitting agent's type (docs/agents.md); absent: no agent. */
    agent?: string | undefined;
  }): Promise<SubmitOutcome> {
    const itemsKey = this.#key('b', input.batchId, 'items');
    const stage = this.redis.pipeline();
    for (let start = 0; start < input.items.length; start += STAGE_CHUNK) {
      const fields: string[] = [];
      input.items.slice(start, start + STAGE_CHUNK).forEach((item, offset) => {
        fields.push(String(start + offset), JSON.stringify(item));
      });
      stage.hset(itemsKey, ...fields);
    }
    stage.expire(itemsKey, STAGING_TTL_S);
    await stage.exec();
    const [kind, value] = (await this.#run(scripts.submit, [
      input.tenant,
      input.taskId,
      input.batchId,
      input.hash,
      input.items.length,
      input.maxQueued,
      input.model ?? '',
      input.format,
      input.agent ?? '',
    ])) as [string, string];
    if (kind !== 'created') await this.redis.del(itemsKey);
    switch (kind) {
      case 'created':
      case 'existing':
      case 'conflict':
        return { kind, batchId: value };
      case 'limited':
        return { kind, queued: Number(value) };
      default:
        throw new Error(`The staged items of ${input.batchId} expired before the commit.`);
    }
  }

  /** Takes up to `max` items to dispatch, round robin over tenants under their running limit. */
  async dispatch(
    max: number,
    limits: { defaultRunning: number; running: Record<string, number> },
  ): Promise<{ tenant: string; ref: string }[]> {
    const flat = (await this.#run(scripts.dispatch, [
      max,
      limits.defaultRunning,
      JSON.stringify(limits.running),
    ])) as string[];
    const taken: { tenant: string; ref: string }[] = [];
    for (let at = 0; at + 1 < flat.length; at += 2) {
      taken.push({ tenant: flat[at] ?? '', ref: flat[at + 1] ?? '' });
    }
    return taken;
  }

  async begin(batchId: string, index: number): Promise<BeginOutcome> {
    const cancelled: ItemResult = { status: 'cancelled', attempts: 0 };
    const reply = (await this.#run(scripts.begin, [
      batchId,
      index,
      JSON.stringify(cancelled),
    ])) as string[];
    const [kind, item, model, tenant, executions, format, taskId, agent] = reply;
    if (kind !== 'run') return { kind: kind === 'cancelled' ? 'cancelled' : 'skip' };
    return {
      kind,
      item: JSON.parse(item ?? '{}') as BatchItem,
      model: model === '' || model === undefined ? undefined : model,
      tenant: tenant ?? '',
      executions: Number(executions),
      format: format === 'openai' ? 'openai' : 'items',
      taskId: taskId ?? '',
      agent: agent === '' || agent === undefined ? undefined : agent,
    };
  }

  /** Gives an unfinished delivery back (shutdown): it does not count as an execution. */
  async release(batchId: string, index: number): Promise<void> {
    await this.#run(scripts.release, [batchId, index]);
  }

  /** Records a success; false when the item already had a result (a duplicate delivery). */
  async complete(batchId: string, index: number, result: ItemResult): Promise<boolean> {
    return (await this.#run(scripts.complete, [batchId, index, JSON.stringify(result)])) === 1;
  }

  /**
   * Counts a failure: `retry` while failures stay below `attempts` and the error is not final,
   * else the failure is recorded and the item dead-lettered (`dead`). `skip`: not in flight.
   */
  async fail(
    batchId: string,
    index: number,
    options: { attempts: number; final: boolean; result: ItemResult; deadLetter: DeadLetter },
  ): Promise<'retry' | 'dead' | 'skip'> {
    return (await this.#run(scripts.fail, [
      batchId,
      index,
      options.attempts,
      options.final ? 1 : 0,
      JSON.stringify(options.result),
      JSON.stringify(options.deadLetter),
    ])) as 'retry' | 'dead' | 'skip';
  }

  /** Cancels a tenant's batch; the status afterwards, or undefined when it has no such batch. */
  async cancel(tenant: string, batchId: string): Promise<BatchStatus | undefined> {
    const status = (await this.#run(scripts.cancel, [batchId, tenant])) as string;
    return status === 'missing' ? undefined : (status as BatchStatus);
  }

  async batch(batchId: string): Promise<BatchRecord | undefined> {
    const fields = await this.redis.hgetall(this.#key('b', batchId));
    if (fields['tenant'] === undefined) return undefined;
    const read = (name: string) => Number(fields[name] ?? 0);
    return {
      id: batchId,
      tenant: fields['tenant'],
      taskId: fields['task_id'] ?? '',
      status: (fields['status'] ?? 'in_progress') as BatchStatus,
      model: fields['model'] === '' ? undefined : fields['model'],
      format: fields['format'] === 'openai' ? 'openai' : 'items',
      total: read('total'),
      done: read('done'),
      failed: read('failed'),
      cancelled: read('cancelled'),
      deadLetters: read('dlq'),
      createdAt: read('created_at'),
      finishedAt: fields['finished_at'] === undefined ? undefined : read('finished_at'),
    };
  }

  /**
   * Results of items `from` up to `from + limit` (exclusive), in index order. An item without
   * a result is left out, unless the batch is finished: then it was cancelled before it ran.
   */
  async results(
    batch: BatchRecord,
    from: number,
    limit: number,
  ): Promise<{ index: number; result: ItemResult }[]> {
    const end = Math.min(batch.total, from + limit);
    if (end <= from) return [];
    const indexes = Array.from({ length: end - from }, (_, offset) => String(from + offset));
    const stored = await this.redis.hmget(this.#key('b', batch.id, 'results'), ...indexes);
    const finished = batch.status === 'completed' || batch.status === 'cancelled';
    const missing = indexes.filter((_, at) => stored[at] == null);
    const items =
      finished && missing.length > 0
        ? await this.redis.hmget(this.#key('b', batch.id, 'items'), ...missing)
        : [];
    const customIds = new Map(
      missing.map((index, at) => [index, customIdOf(items[at] ?? undefined)]),
    );
    const out: { index: number; result: ItemResult }[] = [];
    indexes.forEach((index, at) => {
      const text = stored[at];
      if (text != null) out.push({ index: Number(index), result: JSON.parse(text) as ItemResult });
      else if (finished) {
        const customId = customIds.get(index);
        out.push({
          index: Number(index),
          result: {
            status: 'cancelled',
            attempts: 0,
            ...(customId === undefined ? {} : { custom_id: customId }),
          },
        });
      }
    });
    return out;
  }

  /** Executions started per item index (for results and tests): `e:<index>` counters. */
  async executions(batchId: string): Promise<Map<number, number>> {
    const state = await this.redis.hgetall(this.#key('b', batchId, 'state'));
    const out = new Map<number, number>();
    for (const [field, value] of Object.entries(state)) {
      if (field.startsWith('e:')) out.set(Number(field.slice(2)), Number(value));
    }
    return out;
  }

  /** Dead letters, oldest first, from position `from`; of one tenant, or of all. */
  async deadLetters(
    from: number,
    limit: number,
    tenant?: string,
  ): Promise<{ entries: DeadLetter[]; total: number }> {
    const index = tenant === undefined ? this.#key('dlq') : this.#key('t', tenant, 'dlq');
    const [refs, total] = await Promise.all([
      this.redis.zrange(index, from, from + limit - 1),
      this.redis.zcard(index),
    ]);
    if (refs.length === 0) return { entries: [], total };
    const texts = await this.redis.hmget(this.#key('dlq', 'entries'), ...refs);
    const entries = texts.flatMap((text) => (text == null ? [] : [JSON.parse(text) as DeadLetter]));
    return { entries, total };
  }

  /** Dead-letter refs of one batch. */
  async deadLettersOf(batchId: string): Promise<string[]> {
    const indexes = await this.redis.smembers(this.#key('b', batchId, 'dlq'));
    return indexes.map((index) => refOf(batchId, Number(index)));
  }

  /** Re-drives or discards dead letters; the outcome per ref, in order. */
  async settleDeadLetters(
    action: 'redrive' | 'discard',
    refs: readonly string[],
  ): Promise<('redriven' | 'discarded' | 'missing' | 'cancelled')[]> {
    if (refs.length === 0) return [];
    return (await this.#run(scripts.deadLetters, [action, ...refs])) as (
      'redriven' | 'discarded' | 'missing' | 'cancelled'
    )[];
  }

  /** In-flight refs dispatched (or last seen queued) before `before`, oldest first. */
  async inflightBefore(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.#key('inflight'), '-inf', before, 'LIMIT', 0, limit);
  }

  /** Marks in-flight refs as seen in the queue now (only those still in flight). */
  async touch(refs: readonly string[]): Promise<void> {
    if (refs.length === 0) return;
    const now = this.#now();
    await this.redis.zadd(this.#key('inflight'), 'XX', ...refs.flatMap((ref) => [now, ref]));
  }

  /** The counters of every tenant. */
  async allStats(): Promise<Map<string, TenantStats>> {
    const tenants = await this.tenants();
    const out = new Map<string, TenantStats>();
    await Promise.all(
      tenants.map(async (tenant) => {
        out.set(tenant, await this.stats(tenant));
      }),
    );
    return out;
  }
}

function customIdOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return (JSON.parse(text) as BatchItem).custom_id;
}
