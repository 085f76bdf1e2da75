import type { KeyObject } from 'node:crypto';
import { append, checkpoint, type ChainEntry, type Checkpoint } from './chain.ts';
import type { Appended, AuditStore, Head } from './store.ts';

export interface WriterOptions {
  store: AuditStore;
  /** The key that signs checkpoints now; undefined: none are signed. */
  signer: () => { kid: string; key: KeyObject } | undefined;
  /** A checkpoint over every this many entries. */
  checkpointEvery: () => number;
  now?: () => number;
  /** Told of an append the store refused (it is retried every second); never content. */
  onError?: (error: unknown, tenant: string) => void;
  /** Entries written in one round trip at most. @default 256 */
  maxBatch?: number;
}

interface Waiting {
  receipt: Record<string, unknown>;
  at: number;
  intent: Appended['intent'];
  resolve: (entry: ChainEntry | undefined) => void;
}

interface Chain {
  /** The head as this process last saw it; undefined until read (or after an error). */
  head: Head | undefined;
  queue: Waiting[];
  running: boolean;
}

/**
 * Appends receipts to tenants' chains (docs/audit.md). Per tenant, one append is in flight at
 * a time and the receipts that arrive meanwhile ride the next one (group commit): entries are
 * linked to the head this process last saw, and a replica that appended first makes the store
 * answer `conflict` with its head, after which the batch is linked again. A store that cannot
 * be reached keeps the queue, in order, and is retried every second.
 */
export class AuditWriter {
  readonly #options: WriterOptions;
  readonly #chains = new Map<string, Chain>();
  readonly #idle = new Set<() => void>();
  #failing = false;

  constructor(options: WriterOptions) {
    this.#options = options;
  }

  /**
   * Appends `receipt` to the tenant's chain; resolves with its entry once it is durable, or
   * with undefined when it claimed an intent that is gone (nothing was written for it).
   */
  append(
    tenant: string,
    receipt: Record<string, unknown>,
    intent?: Appended['intent'],
  ): Promise<ChainEntry | undefined> {
    const chain = this.#chain(tenant);
    const at = (this.#options.now ?? Date.now)();
    const written = new Promise<ChainEntry | undefined>((resolve) => {
      chain.queue.push({ receipt, at, intent, resolve });
    });
    if (!chain.running) void this.#run(tenant, chain);
    return written;
  }

  /** Resolves when every queued receipt is durable (or at once when none is queued). */
  idle(): Promise<void> {
    if ([...this.#chains.values()].every((chain) => chain.queue.length === 0))
      return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Whether the store refused the last append (receipts then wait in memory for it). */
  get failing(): boolean {
    return this.#failing;
  }

  /** How many receipts wait to be written. */
  get backlog(): number {
    let waiting = 0;
    for (const chain of this.#chains.values()) waiting += chain.queue.length;
    return waiting;
  }

  async #run(tenant: string, chain: Chain): Promise<void> {
    chain.running = true;
    try {
      while (chain.queue.length > 0) await this.#appendBatch(tenant, chain);
    } catch (error) {
      chain.head = undefined;
      this.#failing = true;
      this.#options.onError?.(error, tenant);
      setTimeout(() => void this.#run(tenant, chain), 1000).unref();
      return;
    }
    chain.running = false;
    if (this.backlog === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  /** One round trip: the batch at the head of the queue, linked to the head last seen. */
  async #appendBatch(tenant: string, chain: Chain): Promise<void> {
    const batch = chain.queue.slice(0, this.#options.maxBatch ?? 256);
    const head = chain.head ?? (await this.#options.store.head(tenant));
    const appended: Appended[] = [];
    let last: Pick<ChainEntry, 'seq' | 'hash'> = head;
    for (const waiting of batch) {
      const entry = append(tenant, last, waiting.receipt);
      appended.push({
        entry,
        at: waiting.at,
        ...(waiting.intent === undefined ? {} : { intent: waiting.intent }),
      });
      last = entry;
    }
    const result = await this.#options.store.append(
      tenant,
      head,
      appended,
      this.#checkpointsOver(appended),
    );
    if (result.kind === 'gone') {
      const gone = new Set(result.requestIds);
      chain.head = head;
      chain.queue = chain.queue.filter((waiting) => {
        const claimed = waiting.intent?.mode === 'claim' && gone.has(waiting.intent.requestId);
        if (claimed) waiting.resolve(undefined);
        return !claimed;
      });
      return;
    }
    // A conflict whose head is this very batch's last entry: an earlier try was applied and
    // only its reply was lost.
    const applied =
      result.kind === 'ok' || (result.head.seq === last.seq && result.head.hash === last.hash);
    if (!applied) {
      chain.head = result.head;
      return;
    }
    chain.head = { ...head, seq: last.seq, hash: last.hash };
    this.#failing = false;
    chain.queue.splice(0, batch.length);
    for (const [index, waiting] of batch.entries()) waiting.resolve(appended[index]?.entry);
  }

  /** A checkpoint over each entry of the batch whose seq is a multiple of the period. */
  #checkpointsOver(appended: readonly Appended[]): Checkpoint[] {
    const signer = this.#options.signer();
    if (signer === undefined) return [];
    const every = this.#options.checkpointEvery();
    return appended
      .filter(({ entry }) => entry.seq % every === 0)
      .map(({ entry }) => checkpoint(entry, signer.kid, signer.key));
  }

  #chain(tenant: string): Chain {
    let chain = this.#chains.get(tenant);
    if (chain === undefined) {
      chain = { head: undefined, queue: [], running: false };
      this.#chains.set(tenant, chain);
    }
    return chain;
  }
}
