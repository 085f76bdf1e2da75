import { GENESIS, type ChainEntry, type Checkpoint } from './chain.ts';
import type { DecisionDocument } from '../config/decision.ts';
import type { Appended, AppendResult, AuditStore, Head, Intent } from './store.ts';

interface Chain {
  head: Head;
  /** Kept entries, entries[i] has seq head.first + i, and when each was written. */
  entries: { entry: ChainEntry; at: number }[];
  checkpoints: Checkpoint[];
  intents: Map<string, { intent: Intent; leaseUntil: number }>;
}

/** Receipts in this process's memory: the embedded single-process mode (`make run`). */
export class MemoryAuditStore implements AuditStore {
  readonly #chains = new Map<string, Chain>();
  readonly #configs = new Map<string, { document: DecisionDocument; until: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async head(tenant: string): Promise<Head> {
    return { ...this.#chain(tenant).head };
  }

  async append(
    tenant: string,
    expected: Head,
    entries: readonly Appended[],
    checkpoints: readonly Checkpoint[] = [],
  ): Promise<AppendResult> {
    const chain = this.#chain(tenant);
    if (chain.head.seq !== expected.seq || chain.head.hash !== expected.hash)
      return { kind: 'conflict', head: { ...chain.head } };
    const gone = entries
      .filter(({ intent }) => intent?.mode === 'claim' && !chain.intents.has(intent.requestId))
      .map(({ intent }) => intent?.requestId ?? '');
    if (gone.length > 0) return { kind: 'gone', requestIds: gone };
    // Times never go down along the chain, as in the Redis store's index.
    let latest = chain.entries.at(-1)?.at ?? 0;
    for (const { entry, at, intent } of entries) {
      latest = Math.max(latest, at);
      chain.entries.push({ entry, at: latest });
      if (intent !== undefined) chain.intents.delete(intent.requestId);
    }
    const last = entries.at(-1)?.entry;
    if (last !== undefined) chain.head = { ...chain.head, seq: last.seq, hash: last.hash };
    chain.checkpoints.push(...checkpoints);
    return { kind: 'ok' };
  }

  async intend(tenant: string, intent: Intent, leaseUntil: number): Promise<void> {
    this.#chain(tenant).intents.set(intent.request_id, { intent, leaseUntil });
  }

  async expired(tenant: string, now: number, limit: number): Promise<Intent[]> {
    return [...this.#chain(tenant).intents.values()]
      .filter(({ leaseUntil }) => leaseUntil <= now)
      .slice(0, limit)
      .map(({ intent }) => intent);
  }

  async tenants(): Promise<string[]> {
    return [...this.#chains.keys()];
  }

  async addCheckpoint(tenant: string, checkpoint: Checkpoint): Promise<void> {
    const chain = this.#chain(tenant);
    const same = (other: Checkpoint) =>
      other.seq === checkpoint.seq &&
      other.kid === checkpoint.kid &&
      other.final === checkpoint.final;
    if (!chain.checkpoints.some(same)) chain.checkpoints.push(checkpoint);
    chain.checkpoints.sort((a, b) => a.seq - b.seq);
  }

  async checkpoints(tenant: string, from: number, to: number): Promise<Checkpoint[]> {
    return this.#chain(tenant).checkpoints.filter(({ seq }) => seq >= from && seq <= to);
  }

  async checkpointAtOrBefore(tenant: string, seq: number): Promise<Checkpoint | undefined> {
    return this.#chain(tenant).checkpoints.findLast((point) => point.seq <= seq);
  }

  async entries(tenant: string, from: number, to: number): Promise<ChainEntry[]> {
    const chain = this.#chain(tenant);
    const start = Math.max(from, chain.head.first) - chain.head.first;
    return chain.entries
      .slice(start, Math.max(start, to - chain.head.first + 1))
      .map(({ entry }) => entry);
  }

  async span(
    tenant: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ first: number; last: number } | undefined> {
    const inside = this.#chain(tenant).entries.filter(({ at }) => at >= fromMs && at <= toMs);
    const first = inside[0];
    const last = inside.at(-1);
    return first === undefined || last === undefined
      ? undefined
      : { first: first.entry.seq, last: last.entry.seq };
  }

  /** Entries carry their own time here: the cutoff has nothing more to remove. */
  async trim(tenant: string, through: number, anchor: Checkpoint): Promise<void> {
    const chain = this.#chain(tenant);
    const removed = Math.max(0, Math.min(through, chain.head.seq) - chain.head.first + 1);
    chain.entries.splice(0, removed);
    chain.head = { ...chain.head, first: chain.head.first + removed };
    chain.checkpoints = chain.checkpoints.filter(({ seq }) => seq > through);
    chain.checkpoints.unshift(anchor);
  }

  async putConfig(checksum: string, document: DecisionDocument, ttlMs: number): Promise<void> {
    this.#configs.set(checksum, { document, until: this.#now() + ttlMs });
  }

  async getConfig(checksum: string): Promise<DecisionDocument | undefined> {
    const kept = this.#configs.get(checksum);
    return kept === undefined || kept.until < this.#now() ? undefined : kept.document;
  }

  #chain(tenant: string): Chain {
    let chain = this.#chains.get(tenant);
    if (chain === undefined) {
      chain = {
        head: { seq: 0, hash: GENESIS, first: 1 },
        entries: [],
        checkpoints: [],
        intents: new Map(),
      };
      this.#chains.set(tenant, chain);
    }
    return chain;
  }
}
