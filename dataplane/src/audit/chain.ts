/**
 * The tamper-evident chain of audit receipts (docs/audit.md). Each tenant has one chain: entry `seq` carries its receipt (RFC 8785 canonical
 * JSON) and `hash = SHA-256(prev ‖ canonical receipt)`, hex, with `prev` the hash of entry
 * `seq − 1` (64 zeros before the first). A checkpoint signs a chain head with Ed25519; an
 * export ends with a final one over its last entry (signed when exported), so a removed tail is
 * detected like any other edit.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../../crds/canonical-json.ts';

export const GENESIS = '0'.repeat(64);

export interface ChainEntry {
  type: 'receipt';
  tenant: string;
  seq: number;
  prev: string;
  hash: string;
  receipt: Record<string, unknown>;
}

export interface Checkpoint {
  type: 'checkpoint';
  tenant: string;
  /** The last entry the checkpoint covers, and its hash. */
  seq: number;
  head: string;
  /** Whether it closes an export (signed at export time): only that one may end an export. */
  final: boolean;
  /** Which key signed it (the keys rotate), and the base64url Ed25519 signature. */
  kid: string;
  signature: string;
}

export type ExportLine = ChainEntry | Checkpoint;

/** The hash that links `receipt` after `prev`. */
export function linkHash(prev: string, receipt: Record<string, unknown>): string {
  return createHash('sha256')
    .update(prev, 'utf8')
    .update(canonicalJson(receipt), 'utf8')
    .digest('hex');
}

/** Appends a receipt to a chain whose last entry is `last` (undefined for an empty chain). */
export function append(
  tenant: string,
  last: Pick<ChainEntry, 'seq' | 'hash'> | undefined,
  receipt: Record<string, unknown>,
): ChainEntry {
  const prev = last?.hash ?? GENESIS;
  return {
    type: 'receipt',
    tenant,
    seq: (last?.seq ?? 0) + 1,
    prev,
    hash: linkHash(prev, receipt),
    receipt,
  };
}

/** What a checkpoint signs: the tenant, the sequence number, the head hash, whether final. */
function signedBytes(point: Omit<Checkpoint, 'type' | 'kid' | 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({ final: point.final, head: point.head, seq: point.seq, tenant: point.tenant }),
    'utf8',
  );
}

/** A checkpoint over `entry`, signed with `key` (Ed25519) under the id `kid`. */
export function checkpoint(
  entry: Pick<ChainEntry, 'tenant' | 'seq' | 'hash'>,
  kid: string,
  key: KeyObject,
  final = false,
): Checkpoint {
  const point = { tenant: entry.tenant, seq: entry.seq, head: entry.hash, final };
  const signature = sign(null, signedBytes(point), key).toString('base64url');
  return { type: 'checkpoint', ...point, kid, signature };
}

export type Verdict =
  | { ok: true; tenant: string; from: number; to: number; checkpoints: number }
  | { ok: false; line: number; reason: string };

/**
 * Verifies an export of one tenant's chain: consecutive entries (the first may follow a
 * trimmed prefix: its `prev` is then taken from the signed checkpoint over the entry before it,
 * which the export starts with), every hash recomputed, every checkpoint signed by a known key
 * and right after the entry it signs, and a final checkpoint over the last entry at the end.
 */
export function verifyExport(
  lines: readonly ExportLine[],
  keys: ReadonlyMap<string, KeyObject>,
): Verdict {
  let last: ChainEntry | undefined;
  let anchor: Checkpoint | undefined;
  let first: number | undefined;
  let checkpoints = 0;
  let tenant: string | undefined;
  for (const [index, line] of lines.entries()) {
    const at = index + 1;
    if (tenant !== undefined && line.tenant !== tenant)
      return { ok: false, line: at, reason: 'another tenant' };
    tenant = line.tenant;
    if (line.type === 'checkpoint') {
      const key = keys.get(line.kid);
      if (key === undefined) return { ok: false, line: at, reason: `unknown key ${line.kid}` };
      let valid = false;
      try {
        valid = verify(null, signedBytes(line), key, Buffer.from(line.signature, 'base64url'));
      } catch {
        valid = false;
      }
      if (!valid) return { ok: false, line: at, reason: 'bad checkpoint signature' };
      if (line.final && index !== lines.length - 1) {
        return { ok: false, line: at, reason: 'a final checkpoint before the end' };
      }
      if (last === undefined) {
        anchor = line;
      } else if (line.seq !== last.seq || line.head !== last.hash) {
        // A checkpoint follows the entry it signs, in the order the chain was written.
        return { ok: false, line: at, reason: 'checkpoint does not match the entry before it' };
      }
      checkpoints++;
      continue;
    }
    if (last === undefined) {
      // Only a checkpoint over the entry just before this one (a trimmed prefix) may precede it.
      if (anchor !== undefined && anchor.seq !== line.seq - 1) {
        return { ok: false, line: at, reason: 'a checkpoint out of place' };
      }
      const expectedPrev = anchor?.head ?? (line.seq === 1 ? GENESIS : undefined);
      if (expectedPrev === undefined) {
        return { ok: false, line: at, reason: 'the export starts mid-chain without a checkpoint' };
      }
      if (line.prev !== expectedPrev) return { ok: false, line: at, reason: 'broken link' };
      first = line.seq;
    } else {
      if (line.seq !== last.seq + 1)
        return { ok: false, line: at, reason: `entry ${line.seq} after ${last.seq}` };
      if (line.prev !== last.hash) return { ok: false, line: at, reason: 'broken link' };
    }
    if (linkHash(line.prev, line.receipt) !== line.hash)
      return { ok: false, line: at, reason: 'hash does not match the receipt' };
    last = line;
  }
  const end = lines.at(-1);
  if (last === undefined || first === undefined || tenant === undefined)
    return { ok: false, line: 0, reason: 'no receipts' };
  if (end?.type !== 'checkpoint' || !end.final || end.seq !== last.seq) {
    return {
      ok: false,
      line: lines.length,
      reason: 'the export does not end with a final checkpoint over its last entry',
    };
  }
  return { ok: true, tenant, from: first, to: last.seq, checkpoints };
}
