import type { ChainEntry, Checkpoint } from './chain.ts';
import type { DecisionDocument } from '../config/decision.ts';

/** A tenant's chain as the store holds it: the last entry, and the first one kept. */
export interface Head {
  /** 0 for an empty chain. */
  seq: number;
  /** The last entry's hash (GENESIS for an empty chain). */
  hash: string;
  /** The first entry still kept (retention trims the ones before it); 1 untrimmed. */
  first: number;
}

/**
 * What the dataplane knows of a request between reserve and seal: enough for a sweep to
 * write its receipt (`interrupted`) when the process that served it died. Never content.
 */
export type Intent = Record<string, unknown> & { request_id: string };

/** A receipt to append, and what it does to the request's intent. */
export interface Appended {
  entry: ChainEntry;
  /** When the receipt was written (epoch ms): the export's time index. */
  at: number;
  /** `settle` clears the request's intent if there is one; `claim` requires it (a sweep). */
  intent?: { requestId: string; mode: 'settle' | 'claim' };
}

export type AppendResult =
  | { kind: 'ok' }
  /** The chain's head is not the one the entries were linked to: relink and retry. */
  | { kind: 'conflict'; head: Head }
  /** Claimed intents that are gone (another sweep, or the receipt came): nothing was written. */
  | { kind: 'gone'; requestIds: string[] };

/**
 * Where receipts live: Redis for every replica to share (`RedisAuditStore`), or memory in the
 * single-process embedded mode (`MemoryAuditStore`), with the same semantics:
 *
 * - `append` writes entries linked after `expected` atomically, or nothing (`conflict`,
 *   `gone`); with them their checkpoints, and each entry's intent cleared;
 * - intents wait under a lease; `expired` lists those whose lease ran out;
 * - `trim` removes every entry up to `through` and the checkpoints before it, keeping `anchor`
 *   (a checkpoint over `through`), so that what is left still verifies;
 * - decision configs are kept content-addressed for `ttlMs`;
 * - a store that cannot be reached throws.
 */
export interface AuditStore {
  head(tenant: string): Promise<Head>;
  append(
    tenant: string,
    expected: Head,
    entries: readonly Appended[],
    checkpoints?: readonly Checkpoint[],
  ): Promise<AppendResult>;
  intend(tenant: string, intent: Intent, leaseUntil: number): Promise<void>;
  expired(tenant: string, now: number, limit: number): Promise<Intent[]>;
  /** Every tenant that has a chain or an intent. */
  tenants(): Promise<string[]>;
  addCheckpoint(tenant: string, checkpoint: Checkpoint): Promise<void>;
  /** The checkpoints over entries `from` to `to` (inclusive), in sequence order. */
  checkpoints(tenant: string, from: number, to: number): Promise<Checkpoint[]>;
  /** The latest checkpoint over an entry at or before `seq`. */
  checkpointAtOrBefore(tenant: string, seq: number): Promise<Checkpoint | undefined>;
  /** Entries `from` to `to` (inclusive) that are kept, in order. */
  entries(tenant: string, from: number, to: number): Promise<ChainEntry[]>;
  /** The first and last sequence numbers written within [fromMs, toMs], if any. */
  span(
    tenant: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ first: number; last: number } | undefined>;
  /** `cutoff`: the retention cutoff (ms) the trim was computed from. */
  trim(tenant: string, through: number, anchor: Checkpoint, cutoff: number): Promise<void>;
  putConfig(checksum: string, document: DecisionDocument, ttlMs: number): Promise<void>;
  getConfig(checksum: string): Promise<DecisionDocument | undefined>;
}
