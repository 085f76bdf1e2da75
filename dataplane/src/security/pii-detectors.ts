import { ID_DETECTORS } from './pii-rules-ids.ts';
import { ADDRESS_DETECTORS, PERSONAL_DETECTORS } from './pii-rules-personal.ts';
import { KEYWORD_SECRET, PEM_MAX_SPAN, SECRET_DETECTORS } from './pii-rules-secrets.ts';
import {
  DEFAULT_PHONE_REGIONS,
  type Detector,
  type PiiMatch,
  type PiiOptions,
} from './pii-kinds.ts';

export { PII_KINDS, type PiiKind, type PiiMatch, type PiiOptions } from './pii-kinds.ts';
export { PEM_MAX_SPAN };

/**
 * The longest text any detector other than the PEM block can match or inspect ahead (a JWT:
 * 3 + 500 + 4 + 3000 + 1 + 700 characters, plus 1 of look-ahead). The stream redactor holds
 * back at most this much in a run with no boundary; a PEM block is held until it closes, up to
 * {@link PEM_MAX_SPAN}.
 */
export const MAX_PII_SPAN = 4224;

/**
 * Characters no detector matches or looks at past: a cut right after one of them can never
 * split a match, whatever follows (a PEM block, which spans lines, is the stream redactor's
 * exception). Detectors use letters, marks and digits of any script, space (as a separator
 * between digits) and `.` `-` `_` `%` `+` `@` `:` `(` `)` `/` `=`; everything else, including
 * tab, newline and punctuation outside ASCII, is a boundary. Surrogates count as letters.
 */
export function isPiiBoundary(code: number): boolean {
  return PII_CHARACTER[code] === 0;
}

const PII_CHARACTER = (() => {
  const table = new Uint8Array(65536);
  const character = /[\p{L}\p{M}\p{N} .\-_%+@:()/=]/u;
  for (let code = 0; code < 65536; code += 1) {
    const surrogate = code >= 0xd800 && code <= 0xdfff;
    table[code] = surrogate || character.test(String.fromCharCode(code)) ? 1 : 0;
  }
  return table;
})();

/**
 * Every detector's separators are single characters between digits, or follow a digit within
 * the match, so a space with no ASCII digit in the {@link SPACE_DIGIT_WINDOW} characters before
 * it cannot lie inside a match either (the IBAN, the widest, spans 64). Two exceptions the
 * stream redactor handles: the space after a NINO's two prefix letters, and a PEM header's.
 */
export const SPACE_DIGIT_WINDOW = 72;

/**
 * Detectors in priority order: when two candidates overlap, the earlier detector wins (a card
 * number is not also a phone number, a key inside a JWT is the JWT). Look-aheads stay within
 * the match's bound plus 2 characters (see {@link MAX_PII_SPAN}), look-behinds within 40, and
 * every pattern is bounded, so that the stream redactor can decide a prefix of a stream for
 * good.
 */
const DETECTORS: readonly Detector[] = [
  ...SECRET_DETECTORS,
  ...PERSONAL_DETECTORS,
  ...ID_DETECTORS,
  ...ADDRESS_DETECTORS,
  KEYWORD_SECRET,
];

/** A detector's confirmed match, before overlaps between detectors are resolved. */
export interface PiiCandidate extends PiiMatch {
  /** The detector's index in priority order; lower wins. */
  priority: number;
}

/**
 * Every confirmed candidate that starts at or after `from`. Characters before `from` are still
 * read by look-behinds, which is how the stream redactor scans a chunk in its context.
 */
export function scanPii(text: string, from = 0, options: PiiOptions = {}): PiiCandidate[] {
  const resolved = { phoneRegions: options.phoneRegions ?? DEFAULT_PHONE_REGIONS };
  const candidates: PiiCandidate[] = [];
  DIGIT.lastIndex = from;
  const open: Record<Detector['gate'], boolean> = {
    digit: DIGIT.test(text),
    '@': text.includes('@', from),
    ':': text.includes(':', from),
    '-----BEGIN': text.includes('-----BEGIN', from),
  };
  for (const [priority, detector] of DETECTORS.entries()) {
    if (!open[detector.gate]) continue;
    const found = (start: number, end: number) => {
      candidates.push({ kind: detector.kind, start, end, priority });
    };
    if (detector.anchor === undefined) scanEverywhere(detector, text, from, resolved, found);
    else scanAnchored(detector, detector.anchor, text, from, resolved, found);
  }
  return candidates;
}

type Found = (start: number, end: number) => void;

const DIGIT = /\d/g;

type Resolved = Required<PiiOptions>;

function scanEverywhere(
  detector: Detector,
  text: string,
  from: number,
  options: Resolved,
  found: Found,
): void {
  const { pattern } = detector;
  pattern.lastIndex = from;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const matchEnd = detector.accept(match, text, options);
    if (matchEnd === undefined) {
      // A rejected candidate consumes nothing: a valid match may start inside it.
      pattern.lastIndex = match.index + 1;
    } else {
      found(match.index, matchEnd);
      pattern.lastIndex = matchEnd;
    }
  }
}

/**
 * Finds what {@link scanEverywhere} would: the pattern's look-behind only lets a match start
 * where a run of `inRun` characters starts, and the run must reach an `at` character, so the
 * sticky pattern is tried once at the start of each run that does.
 */
function scanAnchored(
  detector: Detector,
  anchor: NonNullable<Detector['anchor']>,
  text: string,
  from: number,
  options: Resolved,
  found: Found,
): void {
  const { pattern } = detector;
  const { at, inRun } = anchor;
  for (let position = text.indexOf(at, from); position !== -1;) {
    let start = position;
    while (start > 0 && inRun(text.charCodeAt(start - 1))) start -= 1;
    let next = position + 1;
    if (inRun(text.charCodeAt(position))) {
      // `at` is part of the run (IPv6's `:`): the run's other `at`s share this start, skip them.
      while (next < text.length && inRun(text.charCodeAt(next))) next += 1;
    }
    if (start >= from) {
      pattern.lastIndex = start;
      const match = pattern.exec(text);
      const matchEnd = match === null ? undefined : detector.accept(match, text, options);
      if (matchEnd !== undefined) {
        found(start, matchEnd);
        next = Math.max(next, matchEnd);
      }
    }
    position = text.indexOf(at, next);
  }
}

/**
 * The matches that win: candidates taken in priority order (then leftmost first), each kept
 * unless it overlaps one already kept; returned in text order. Candidates that overlap nothing
 * are decided independently of all others, which the stream redactor relies on.
 */
export function resolvePii(candidates: PiiCandidate[]): PiiMatch[] {
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => a.priority - b.priority || a.start - b.start);
  // Kept in text order; they never overlap, so their ends are in order too and a candidate
  // need only be checked against its two neighbours.
  const kept: PiiMatch[] = [];
  for (const candidate of candidates) {
    const at = firstStartingAtOrAfter(kept, candidate.start);
    const previous = kept[at - 1];
    const next = kept[at];
    if (
      (previous === undefined || previous.end <= candidate.start) &&
      (next === undefined || next.start >= candidate.end)
    ) {
      kept.splice(at, 0, { kind: candidate.kind, start: candidate.start, end: candidate.end });
    }
  }
  return kept;
}

/** The index of the first match in `sorted` that starts at or after `start`. */
function firstStartingAtOrAfter(sorted: readonly PiiMatch[], start: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle]?.start ?? 0) < start) low = middle + 1;
    else high = middle;
  }
  return low;
}
