import { PII_KINDS, type PiiKind, type PiiMatch } from './pii-detectors.ts';

export type PiiCounts = Record<PiiKind, number>;

/** `text` with `matches` (in text order, not overlapping) replaced, counted into `counts`. */
export function redact(text: string, matches: readonly PiiMatch[], counts: PiiCounts): string {
  let result = '';
  let copied = 0;
  for (const match of matches) {
    result += `${text.slice(copied, match.start)}[REDACTED:${match.kind}]`;
    copied = match.end;
    counts[match.kind] += 1;
  }
  return result + text.slice(copied);
}

export function zeroCounts(): PiiCounts {
  return Object.fromEntries(PII_KINDS.map((kind) => [kind, 0])) as PiiCounts;
}
