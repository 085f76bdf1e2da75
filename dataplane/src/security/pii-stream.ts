import {
  isPiiBoundary,
  MAX_PII_SPAN,
  resolvePii,
  scanPii,
  SPACE_DIGIT_WINDOW,
  type PiiCandidate,
  type PiiOptions,
} from './pii-detectors.ts';
import { pemBlockEnd, pemStillOpen } from './pii-rules-secrets.ts';
import { redact, zeroCounts, type PiiCounts } from './pii-redact.ts';
import type { PiiKind } from './pii-kinds.ts';

export interface StreamRedactor {
  /** Redacted text that is final now; may be empty while a possible match is still open. */
  push(chunk: string): string;
  /** Everything still held back, redacted; the redactor is then ready for a new stream. */
  flush(): string;
  /** How many matches of each kind were redacted (or found under `block`) so far. */
  readonly counts: Readonly<PiiCounts>;
  /**
   * The `block` kinds found, empty until one is: from then on nothing more is emitted (not the
   * text that held it, nor what follows), and the caller ends the stream with a refusal.
   */
  readonly blocked: readonly PiiKind[];
}

/** What the redactor does with a kind: `off` leaves it, `block` stops the stream. */
export type StreamPolicy = (kind: PiiKind) => 'off' | 'redact' | 'block';

/** Emitted text kept for look-behinds (40 at most) and the digit window of the next chunk. */
const CONTEXT = SPACE_DIGIT_WINDOW + 8;

/**
 * Redacts a text that arrives in chunks (a streamed completion) so that the concatenated output
 * equals `redactPii(wholeText).text` however the text is split: a card number cut across two
 * chunks is still redacted, and nothing is emitted that a later chunk could turn into PII.
 *
 * It holds back only the tail after the last point that no match can span: a boundary character
 * (newline, comma, any non-ASCII ...), or a space with no digit in the 72 characters before it.
 * In prose that is the current partial word; after digits, at most the number and its
 * surroundings. A tail with no such point (a long token) is cut at {@link MAX_PII_SPAN}
 * characters from the end, where every match that could start before the cut is already decided.
 * A PEM private-key block spans lines, so a cut never falls inside one that is open or complete.
 */
export function createStreamRedactor(
  options: PiiOptions = {},
  /** Per kind; every kind is redacted without it. The matches are the same either way. */
  policy?: StreamPolicy,
): StreamRedactor {
  let context = '';
  let pending = '';
  const counts = zeroCounts();
  const blocked: PiiKind[] = [];

  function emit(cutInPending: number): string {
    if (blocked.length > 0) return '';
    const buffer = context + pending;
    const offset = context.length;
    const cut = offset + cutInPending;
    const candidates = scanPii(buffer, offset, options).filter(
      (candidate) => candidate.start < cut,
    );
    let matches = resolvePii(candidates);
    if (policy !== undefined) {
      matches = matches.filter((match) => policy(match.kind) !== 'off');
      const blocking = matches.filter((match) => policy(match.kind) === 'block');
      if (blocking.length > 0) {
        for (const match of blocking) {
          counts[match.kind] += 1;
          if (!blocked.includes(match.kind)) blocked.push(match.kind);
        }
        context = '';
        pending = '';
        return '';
      }
    }
    const output = redact(buffer.slice(0, cut), matches, counts).slice(offset);
    context = buffer.slice(Math.max(0, cut - CONTEXT), cut);
    pending = pending.slice(cutInPending);
    return output;
  }

  return {
    counts,
    blocked,
    push(chunk) {
      if (chunk === '' || blocked.length > 0) return '';
      pending += chunk;
      const buffer = context + pending;
      const offset = context.length;
      let cut = lastSafeCut(buffer, offset);
      if (buffer.length - cut > MAX_PII_SPAN) {
        cut = Math.max(cut, forcedCut(buffer, offset, scanPii(buffer, offset, options)));
      }
      cut = outsidePemBlocks(buffer, offset, cut, options);
      return cut === offset ? '' : emit(cut - offset);
    },
    flush() {
      const output = pending === '' ? '' : emit(pending.length);
      context = '';
      return output;
    },
  };
}

/**
 * The furthest point after `offset` that no match can span, or `offset` if there is none.
 * Scans backwards, so the usual answer (a boundary in the newest chunk) costs a few steps.
 */
function lastSafeCut(buffer: string, offset: number): number {
  for (let index = buffer.length - 1; index >= offset; index -= 1) {
    const code = buffer.charCodeAt(index);
    if (code === 32) {
      const digit = lastDigitBefore(buffer, index);
      if (digit < 0 && !afterNinoPrefix(buffer, index)) return index + 1;
      if (digit < 0) continue;
      // Every space between that digit and this one has the digit in its window too; only a
      // boundary character can be a cut there.
      for (index -= 1; index > digit; index -= 1) {
        if (index >= offset && isPiiBoundary(buffer.charCodeAt(index))) return index + 1;
      }
    } else if (isPiiBoundary(code)) {
      return index + 1;
    }
  }
  return offset;
}

/** Whether the space at `index` follows a lone pair of capitals, as in a NINO's "QQ 12 ...". */
function afterNinoPrefix(buffer: string, index: number): boolean {
  const isCapital = (at: number) => {
    const code = buffer.charCodeAt(at);
    return code >= 65 && code <= 90;
  };
  return index >= 2 && isCapital(index - 1) && isCapital(index - 2) && !isPiiWordAt(index - 3);

  function isPiiWordAt(at: number): boolean {
    if (at < 0) return false;
    const code = buffer.charCodeAt(at);
    return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  }
}

/**
 * `cut`, moved back to the start of the first PEM block after `offset` that it would fall
 * inside (one that is complete past the cut, or still open), and then before any candidate
 * that would straddle the new cut.
 */
function outsidePemBlocks(
  buffer: string,
  offset: number,
  cut: number,
  options: PiiOptions,
): number {
  for (let start = buffer.indexOf('-----BEGIN', offset); start !== -1 && start < cut;) {
    const end = pemBlockEnd(buffer, start);
    if (end !== undefined && end <= cut) {
      start = buffer.indexOf('-----BEGIN', end);
    } else if (end !== undefined || pemStillOpen(buffer, start)) {
      let moved = start;
      for (const candidate of scanPii(buffer, offset, options)) {
        if (candidate.start < moved && candidate.end > moved) moved = candidate.start;
      }
      return Math.max(offset, moved);
    } else {
      start = buffer.indexOf('-----BEGIN', start + 1);
    }
  }
  return cut;
}

/** The index of the last ASCII digit in the window before `index`, or -1. */
function lastDigitBefore(buffer: string, index: number): number {
  for (let at = index - 1; at >= 0 && at >= index - SPACE_DIGIT_WINDOW; at -= 1) {
    const code = buffer.charCodeAt(at);
    if (code >= 48 && code <= 57) return at;
  }
  return -1;
}

/**
 * A cut {@link MAX_PII_SPAN} characters before the end, moved back before any candidate that
 * straddles it. Every scan attempt that starts before it reads at most that far, so what lies
 * before it is decided however the stream goes on.
 */
function forcedCut(buffer: string, offset: number, candidates: readonly PiiCandidate[]): number {
  let cut = buffer.length - MAX_PII_SPAN;
  for (let moved = true; moved;) {
    moved = false;
    for (const candidate of candidates) {
      if (candidate.start < cut && candidate.end > cut) {
        cut = candidate.start;
        moved = true;
      }
    }
  }
  return Math.max(cut, offset);
}
