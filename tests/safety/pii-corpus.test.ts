import { describe, expect, it } from 'vitest';
import { findPii, PII_KINDS, type PiiKind } from '../../dataplane/src/security/pii.ts';
import { BENIGN_CASES } from './pii-corpus-benign.ts';
import { ID_CASES } from './pii-corpus-ids.ts';
import { PERSONAL_CASES } from './pii-corpus-personal.ts';
import { SECRET_CASES } from './pii-corpus-secrets.ts';

/** The aims of issue 22, per kind. */
const MIN_RECALL = 0.95;
const MAX_FALSE_POSITIVES = 0.05;

const POSITIVES = [...PERSONAL_CASES, ...ID_CASES, ...SECRET_CASES];

interface Row {
  kind: PiiKind;
  positives: number;
  found: number;
  recall: number;
  falsePositives: number;
  falsePositiveRate: number;
}

/**
 * Recall: positives whose exact value is found as their kind. False positives: benign texts,
 * plus positives' texts outside their value, where this kind is reported.
 */
function measure(): Row[] {
  const found = new Map<PiiKind, number>();
  const falsePositives = new Map<PiiKind, number>();
  const missed: string[] = [];
  for (const { kind, value, text } of POSITIVES) {
    const start = text.indexOf(value);
    const matches = findPii(text);
    const hit = matches.some(
      (m) => m.kind === kind && m.start === start && m.end === start + value.length,
    );
    if (hit) found.set(kind, (found.get(kind) ?? 0) + 1);
    else missed.push(`${kind}: ${JSON.stringify(text)} -> ${JSON.stringify(matches)}`);
  }
  for (const { text } of BENIGN_CASES) {
    for (const kind of new Set(findPii(text).map((m) => m.kind))) {
      falsePositives.set(kind, (falsePositives.get(kind) ?? 0) + 1);
    }
  }
  if (missed.length > 0) console.log(`missed:\n${missed.join('\n')}`);
  return PII_KINDS.map((kind) => {
    const positives = POSITIVES.filter((c) => c.kind === kind).length;
    const hits = found.get(kind) ?? 0;
    const wrong = falsePositives.get(kind) ?? 0;
    return {
      kind,
      positives,
      found: hits,
      recall: positives === 0 ? 1 : hits / positives,
      falsePositives: wrong,
      falsePositiveRate: wrong / BENIGN_CASES.length,
    };
  });
}

describe('the PII corpus', () => {
  const rows = measure();
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  console.table(
    rows.map((row) => ({
      kind: row.kind,
      positives: row.positives,
      recall: percent(row.recall),
      'false positives': `${row.falsePositives}/${BENIGN_CASES.length} (${percent(row.falsePositiveRate)})`,
    })),
  );

  it('has positives for every kind', () => {
    expect(rows.filter((row) => row.positives === 0).map((row) => row.kind)).toEqual([]);
  });

  it.each(rows.map((row) => [row.kind, row] as const))(
    'finds %s at ≥ 95 % recall, ≤ 5 % false positives',
    (_, row) => {
      expect(row.recall).toBeGreaterThanOrEqual(MIN_RECALL);
      expect(row.falsePositiveRate).toBeLessThanOrEqual(MAX_FALSE_POSITIVES);
    },
  );

  it('flags no more than 5 % of the benign texts at all', () => {
    const flagged = BENIGN_CASES.filter(({ text }) => findPii(text).length > 0);
    console.log(`benign texts flagged: ${flagged.map((c) => c.what).join('; ') || 'none'}`);
    expect(flagged.length / BENIGN_CASES.length).toBeLessThanOrEqual(MAX_FALSE_POSITIVES);
  });
});
