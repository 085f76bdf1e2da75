import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { append, checkpoint, verifyExport, type ChainEntry, type ExportLine } from './chain.ts';

const signer = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const keys = new Map([['k1', signer.publicKey]]);

const receipt = fc.record({
  request_id: fc.string({ minLength: 1, maxLength: 12 }),
  outcome: fc.constantFrom('served', 'refused', 'failed'),
  tokens: fc.nat({ max: 10_000 }),
  cost_nano: fc.nat({ max: 1_000_000 }),
});

/** An export of `receipts`: a checkpoint every `every` entries, and a final one at the end. */
function exportOf(receipts: readonly Record<string, unknown>[], every: number): ExportLine[] {
  const lines: ExportLine[] = [];
  let last: ChainEntry | undefined;
  for (const [index, body] of receipts.entries()) {
    last = append('acme', last, body);
    lines.push(last);
    if ((index + 1) % every === 0 && index + 1 < receipts.length)
      lines.push(checkpoint(last, 'k1', signer.privateKey));
  }
  if (last !== undefined) lines.push(checkpoint(last, 'k1', signer.privateKey, true));
  return lines;
}

/** The ways a hostile store could change an export, each taking a random position. */
const tamper = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), at: fc.nat(), tokens: fc.nat({ max: 99 }) }),
  fc.record({
    kind: fc.constant('edit-and-relink' as const),
    at: fc.nat(),
    tokens: fc.nat({ max: 99 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('re-sign' as const) }),
);

function apply(
  lines: ExportLine[],
  change: Record<string, unknown> & { kind: string },
): ExportLine[] {
  const copy = lines.map((line) => structuredClone(line));
  const receipts = copy.flatMap((line, index) => (line.type === 'receipt' ? [index] : []));
  const pick = (at: unknown, among: readonly number[]) => among[(at as number) % among.length]!;
  switch (change.kind) {
    case 'edit': {
      const entry = copy[pick(change['at'], receipts)] as ChainEntry;
      entry.receipt = {
        ...entry.receipt,
        tokens: Number(entry.receipt['tokens']) + 1 + (change['tokens'] as number),
      };
      return copy;
    }
    case 'edit-and-relink': {
      // Edit a receipt and recompute every hash after it: only the signed checkpoints can tell.
      const start = pick(change['at'], receipts);
      const entry = copy[start] as ChainEntry;
      entry.receipt = {
        ...entry.receipt,
        tokens: Number(entry.receipt['tokens']) + 1 + (change['tokens'] as number),
      };
      let previous: ChainEntry | undefined;
      for (const [index, line] of copy.entries()) {
        if (line.type !== 'receipt') continue;
        if (index >= start) {
          const relinked = append('acme', previous, line.receipt);
          line.prev = relinked.prev;
          line.hash = relinked.hash;
        }
        previous = line;
      }
      return copy;
    }
    case 'delete':
      copy.splice(pick(change['at'], receipts), 1);
      return copy;
    case 'insert': {
      const at = pick(change['at'], receipts);
      const before = copy[at] as ChainEntry;
      copy.splice(
        at + 1,
        0,
        append('acme', before, {
          request_id: 'forged',
          outcome: 'served',
          tokens: 0,
          cost_nano: 0,
        }),
      );
      return copy;
    }
    case 'swap': {
      const at = (change['at'] as number) % Math.max(1, copy.length - 1);
      const [a, b] = [copy[at]!, copy[at + 1]!];
      copy[at] = b;
      copy[at + 1] = a;
      return copy;
    }
    case 'truncate':
      return copy.slice(0, (change['keep'] as number) % copy.length);
    default: {
      // Replace the final checkpoint with one signed by a key the verifier does not trust.
      const last = copy.at(-2) as ChainEntry;
      copy[copy.length - 1] = checkpoint(last, 'k1', other.privateKey, true);
      return copy;
    }
  }
}

describe('an audit export', () => {
  it('verifies when untouched', () => {
    fc.assert(
      fc.property(
        fc.array(receipt, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        (receipts, every) => {
          const verdict = verifyExport(exportOf(receipts, every), keys);
          expect(verdict).toEqual({
            ok: true,
            tenant: 'acme',
            from: 1,
            to: receipts.length,
            checkpoints: expect.any(Number),
          });
        },
      ),
    );
  });

  it('shows every edit, deletion, insertion, reordering, truncation and re-signing', () => {
    fc.assert(
      fc.property(
        fc.array(receipt, { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        tamper,
        (receipts, every, change) => {
          const lines = exportOf(receipts, every);
          const changed = apply(lines, change);
          fc.pre(JSON.stringify(changed) !== JSON.stringify(lines));
          const verdict = verifyExport(changed, keys);
          // Detected: refused, or (a head cut off at a checkpoint, as retention trims) verified
          // over a range that says what is missing.
          const whole = verdict.ok && verdict.from === 1 && verdict.to === receipts.length;
          expect(whole).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the first broken line and why', () => {
    const lines = exportOf([{ request_id: 'a' }, { request_id: 'b' }, { request_id: 'c' }], 10);
    (lines[1] as ChainEntry).receipt = { request_id: 'B' };
    expect(verifyExport(lines, keys)).toEqual({
      ok: false,
      line: 2,
      reason: 'hash does not match the receipt',
    });
  });
});
