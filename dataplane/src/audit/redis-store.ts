import type { Redis } from 'ioredis';
import { GENESIS, type ChainEntry, type Checkpoint } from './chain.ts';
import type { DecisionDocument } from '../config/decision.ts';
import { APPEND, INTEND, TRIM } from './lua.ts';
import type { Appended, AppendResult, AuditStore, Head, Intent } from './store.ts';

interface AuditCommands {
  auditAppend(...args: (string | number)[]): Promise<(string | number)[]>;
  auditTrim(...args: (string | number)[]): Promise<number>;
  auditIntend(...args: (string | number)[]): Promise<number>;
}

/**
 * Receipts in Redis, shared by every replica. Keys: `<prefix>audit:{tenant}:head` (hash: seq,
 * hash, first, at), `:entries` (list of export lines, entry `seq` at index seq − first), `:time`
 * (zset: written-at ms, never lower than the entry before's → seq), `:checkpoints` (zset: seq → checkpoint line), `:intents` and
 * `:leases` (a request's intent and when it lapses); `<prefix>audit:tenants` (set) and
 * `<prefix>audit:config:<checksum>` (a decision config, with a TTL).
 */
export class RedisAuditStore implements AuditStore {
  readonly #redis: Redis & AuditCommands;
  readonly #prefix: () => string;
  /** Tenants this process has added to the tenants set already. */
  readonly #known = new Set<string>();

  constructor(redis: Redis, options: { prefix?: () => string } = {}) {
    if (!('auditAppend' in redis)) {
      redis.defineCommand('auditAppend', { numberOfKeys: 6, lua: APPEND });
      redis.defineCommand('auditTrim', { numberOfKeys: 4, lua: TRIM });
      redis.defineCommand('auditIntend', { numberOfKeys: 2, lua: INTEND });
    }
    this.#redis = redis as Redis & AuditCommands;
    this.#prefix = options.prefix ?? (() => '');
  }

  async head(tenant: string): Promise<Head> {
    const [seq, hash, first] = await this.#redis.hmget(
      this.#key(tenant, 'head'),
      'seq',
      'hash',
      'first',
    );
    return { seq: Number(seq ?? 0), hash: hash ?? GENESIS, first: Number(first ?? 1) };
  }

  async append(
    tenant: string,
    expected: Head,
    entries: readonly Appended[],
    checkpoints: readonly Checkpoint[] = [],
  ): Promise<AppendResult> {
    this.#remember(tenant);
    const args: (string | number)[] = [
      expected.seq,
      expected.hash,
      entries.at(-1)?.entry.hash ?? expected.hash,
      entries.length,
    ];
    for (const { entry, at, intent } of entries)
      args.push(JSON.stringify(entry), at, intent?.requestId ?? '', intent?.mode ?? '');
    args.push(checkpoints.length);
    for (const point of checkpoints) args.push(point.seq, JSON.stringify(point));
    const reply = await this.#redis.auditAppend(
      this.#key(tenant, 'head'),
      this.#key(tenant, 'entries'),
      this.#key(tenant, 'time'),
      this.#key(tenant, 'intents'),
      this.#key(tenant, 'leases'),
      this.#key(tenant, 'checkpoints'),
      ...args,
    );
    if (reply[0] === 'ok') return { kind: 'ok' };
    if (reply[0] === 'gone') return { kind: 'gone', requestIds: reply.slice(1).map(String) };
    const [, seq, hash, first] = reply;
    return {
      kind: 'conflict',
      head: { seq: Number(seq), hash: String(hash), first: Number(first) },
    };
  }

  async intend(tenant: string, intent: Intent, leaseUntil: number): Promise<void> {
    this.#remember(tenant);
    // One script, not MULTI: one command on the hot path instead of four.
    await this.#redis.auditIntend(
      this.#key(tenant, 'intents'),
      this.#key(tenant, 'leases'),
      intent.request_id,
      JSON.stringify(intent),
      leaseUntil,
    );
  }

  async expired(tenant: string, now: number, limit: number): Promise<Intent[]> {
    const ids = await this.#redis.zrangebyscore(
      this.#key(tenant, 'leases'),
      '-inf',
      now,
      'LIMIT',
      0,
      limit,
    );
    if (ids.length === 0) return [];
    const lines = await this.#redis.hmget(this.#key(tenant, 'intents'), ...ids);
    return lines.flatMap((line) => (line === null ? [] : [JSON.parse(line) as Intent]));
  }

  async tenants(): Promise<string[]> {
    return this.#redis.smembers(`${this.#prefix()}audit:tenants`);
  }

  async addCheckpoint(tenant: string, checkpoint: Checkpoint): Promise<void> {
    await this.#redis.zadd(
      this.#key(tenant, 'checkpoints'),
      checkpoint.seq,
      JSON.stringify(checkpoint),
    );
  }

  async checkpoints(tenant: string, from: number, to: number): Promise<Checkpoint[]> {
    const lines = await this.#redis.zrangebyscore(this.#key(tenant, 'checkpoints'), from, to);
    return lines.map((line) => JSON.parse(line) as Checkpoint);
  }

  async checkpointAtOrBefore(tenant: string, seq: number): Promise<Checkpoint | undefined> {
    const [line] = await this.#redis.zrevrangebyscore(
      this.#key(tenant, 'checkpoints'),
      seq,
      '-inf',
      'LIMIT',
      0,
      1,
    );
    return line === undefined ? undefined : (JSON.parse(line) as Checkpoint);
  }

  async entries(tenant: string, from: number, to: number): Promise<ChainEntry[]> {
    const { first } = await this.head(tenant);
    const start = Math.max(from, first) - first;
    const stop = to - first;
    if (stop < start) return [];
    const lines = await this.#redis.lrange(this.#key(tenant, 'entries'), start, stop);
    return lines.map((line) => JSON.parse(line) as ChainEntry);
  }

  async span(
    tenant: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ first: number; last: number } | undefined> {
    const key = this.#key(tenant, 'time');
    const [[first], [last]] = await Promise.all([
      this.#redis.zrangebyscore(key, fromMs, toMs, 'LIMIT', 0, 1),
      this.#redis.zrevrangebyscore(key, toMs, fromMs, 'LIMIT', 0, 1),
    ]);
    return first === undefined || last === undefined
      ? undefined
      : { first: Number(first), last: Number(last) };
  }

  async trim(tenant: string, through: number, anchor: Checkpoint, cutoff: number): Promise<void> {
    await this.#redis.auditTrim(
      this.#key(tenant, 'head'),
      this.#key(tenant, 'entries'),
      this.#key(tenant, 'time'),
      this.#key(tenant, 'checkpoints'),
      through,
      JSON.stringify(anchor),
      cutoff,
    );
  }

  async putConfig(checksum: string, document: DecisionDocument, ttlMs: number): Promise<void> {
    await this.#redis.set(
      `${this.#prefix()}audit:config:${checksum}`,
      JSON.stringify(document),
      'PX',
      ttlMs,
    );
  }

  async getConfig(checksum: string): Promise<DecisionDocument | undefined> {
    const text = await this.#redis.get(`${this.#prefix()}audit:config:${checksum}`);
    return text === null ? undefined : (JSON.parse(text) as DecisionDocument);
  }

  /** Adds the tenant to the tenants set, once per process (a separate slot: no script may). */
  #remember(tenant: string): void {
    if (this.#known.has(tenant)) return;
    this.#known.add(tenant);
    this.#redis.sadd(`${this.#prefix()}audit:tenants`, tenant).catch(() => {
      this.#known.delete(tenant);
    });
  }

  #key(tenant: string, part: string): string {
    return `${this.#prefix()}audit:{${tenant}}:${part}`;
  }
}
