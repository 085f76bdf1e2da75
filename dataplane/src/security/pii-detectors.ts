import { isIPv6 } from 'node:net';
import { dniValid, IBAN_LENGTHS, ibanValid, luhnValid, nieValid, ssnValid } from './pii-checks.ts';

export const PII_KINDS = [
  'email',
  'iban',
  'credit_card',
  'ssn',
  'nie',
  'dni',
  'ipv6',
  'ipv4',
  'phone',
] as const;

/** `ssn` is a US Social Security number; `dni` and `nie` are Spanish identity numbers. */
export type PiiKind = (typeof PII_KINDS)[number];

/** A found piece of personal data: `text.slice(start, end)`; the value itself is never kept. */
export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

/**
 * The longest text any detector can match or inspect (an email: 64 + 1 + 6 × 33 + 24 = 287
 * characters, plus 2 of look-ahead). The stream redactor holds back at most this much.
 */
export const MAX_PII_SPAN = 320;

/**
 * Characters no detector matches or looks at past: a cut right after one of them can never
 * split a match, whatever follows. Detectors use ASCII letters, digits, space (as a separator
 * between digits) and `.` `-` `_` `%` `+` `@` `:` `(` `)`; everything else, including tab,
 * newline and all non-ASCII characters, is a boundary.
 */
export function isPiiBoundary(code: number): boolean {
  return code >= 128 || !PII_CHARACTER[code];
}

const PII_CHARACTER: readonly boolean[] = Array.from({ length: 128 }, (_, code) =>
  /[A-Za-z0-9 .\-_%+@:()]/.test(String.fromCharCode(code)),
);

/**
 * Every detector's separators are single characters between digits, or follow a digit within
 * the match, so a space with no ASCII digit in the {@link SPACE_DIGIT_WINDOW} characters before
 * it cannot lie inside a match either (the IBAN, the widest, spans 64).
 */
export const SPACE_DIGIT_WINDOW = 72;

interface Detector {
  kind: PiiKind;
  /** Global, or sticky for an anchored detector; a match is a candidate {@link accept} checks. */
  pattern: RegExp;
  /** What a text must contain for this detector to find anything. */
  gate: 'digit' | '@' | ':';
  /**
   * For patterns that a regex scan would try at every position (the look-behind alone costs
   * 10-25 µs per 2 KB of prose): the match starts where a run of `inRun` characters around an
   * `at` character starts, so the sticky pattern is tried once per such run instead.
   */
  anchor?: { at: string; inRun: (code: number) => boolean };
  /** The end of the confirmed match, or undefined to reject it. */
  accept(match: RegExpExecArray, text: string): number | undefined;
}

const end = (match: RegExpExecArray) => match.index + match[0].length;

/**
 * Detectors in priority order: when two candidates overlap, the earlier detector wins (a card
 * number is not also a phone number). Look-arounds stay within 2 characters (see
 * {@link MAX_PII_SPAN}), and every pattern is bounded, so that the stream redactor can decide a
 * prefix of a stream for good.
 */
const DETECTORS: readonly Detector[] = [
  {
    kind: 'email',
    pattern:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,24}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/y,
    gate: '@',
    anchor: { at: '@', inRun: isLocalPart },
    accept: end,
  },
  {
    kind: 'iban',
    // Country, check digits, then up to 30 letters or digits, single spaces allowed between.
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g,
    gate: 'digit',
    accept(match, text) {
      // The regex over-reaches into the next word; the country's length says where to stop.
      const length = IBAN_LENGTHS[match[0].slice(0, 2)];
      if (length === undefined) return undefined;
      let compact = '';
      let index = match.index;
      for (; compact.length < length && index < end(match); index += 1) {
        const character = text.charAt(index);
        if (character !== ' ') compact += character;
      }
      if (compact.length < length || isAlphanumeric(text.charCodeAt(index))) return undefined;
      return ibanValid(compact) ? index : undefined;
    },
  },
  {
    kind: 'credit_card',
    pattern: /(?<!\d[ -]?)\d(?:[ -]?\d){12,18}(?![ -]?\d)/g,
    gate: 'digit',
    accept(match) {
      const digits = match[0].replace(NOT_DIGIT, '');
      // Issuer ranges start with 2-6 (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover 6).
      const first = digits.charCodeAt(0) - 48;
      return first >= 2 && first <= 6 && luhnValid(digits) ? end(match) : undefined;
    },
  },
  {
    kind: 'ssn',
    pattern: /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g,
    gate: 'digit',
    accept: (match) =>
      ssnValid(group(match, 1), group(match, 2), group(match, 3)) ? end(match) : undefined,
  },
  {
    kind: 'nie',
    pattern: /(?<!\w)([XYZxyz])-?(\d{7})[ -]?([A-Za-z])(?!\w)/g,
    gate: 'digit',
    accept: (match) =>
      nieValid(group(match, 1), group(match, 2), group(match, 3)) ? end(match) : undefined,
  },
  {
    kind: 'dni',
    pattern: /(?<!\w)(\d{8})[ -]?([A-Za-z])(?!\w)/g,
    gate: 'digit',
    accept: (match) => (dniValid(group(match, 1), group(match, 2)) ? end(match) : undefined),
  },
  {
    kind: 'ipv6',
    pattern:
      /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\w)/y,
    gate: ':',
    anchor: { at: ':', inRun: isWordColonOrDot },
    accept(match) {
      // At least 4 hex digits: "::1" and C++'s "a::b" are not anybody's address.
      const hexDigits = match[0].length - (match[0].match(COLON_OR_DOT)?.length ?? 0);
      return hexDigits >= 4 && isIPv6(match[0]) ? end(match) : undefined;
    },
  },
  {
    kind: 'ipv4',
    pattern:
      /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\w)/g,
    gate: 'digit',
    accept: end,
  },
  {
    kind: 'phone',
    // International: +country, an optional (area), then 6-14 digits with single separators.
    pattern: /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d){6,14}(?![ .-]?\d)/g,
    gate: 'digit',
    accept(match) {
      const digits = match[0].replace(NOT_DIGIT, '').length;
      return digits >= 8 && digits <= 15 ? end(match) : undefined;
    },
  },
  {
    kind: 'phone',
    // Spanish: 9 digits starting 6-9 (mobile 6/7, landline 8/9), optionally after 0034,
    // grouped by single spaces or dashes. Dots are left out: "987.654.321" is an amount.
    pattern: /(?<![\w+]|\d[ .-])(?:0034[ -]?)?[6-9](?:[ -]?\d){8}(?![ -]?\d)/g,
    gate: 'digit',
    accept: end,
  },
];

/** A capture group that the pattern always fills when it matches. */
function group(match: RegExpExecArray, index: number): string {
  return match[index] ?? '';
}

const NOT_DIGIT = /\D/g;
const COLON_OR_DOT = /[:.]/g;
const DIGIT = /\d/g;

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The email look-behind's class: `[A-Za-z0-9._%+-]`. */
function isLocalPart(code: number): boolean {
  return (
    isAlphanumeric(code) || code === 46 || code === 95 || code === 37 || code === 43 || code === 45
  );
}

/** The IPv6 look-behind's class: `[\w:.]`. */
function isWordColonOrDot(code: number): boolean {
  return isAlphanumeric(code) || code === 95 || code === 58 || code === 46;
}

/** A detector's confirmed match, before overlaps between detectors are resolved. */
export interface PiiCandidate extends PiiMatch {
  /** The detector's index in priority order; lower wins. */
  priority: number;
}

/**
 * Every confirmed candidate that starts at or after `from`. Characters before `from` are still
 * read by look-behinds, which is how the stream redactor scans a chunk in its context.
 */
export function scanPii(text: string, from = 0): PiiCandidate[] {
  const candidates: PiiCandidate[] = [];
  DIGIT.lastIndex = from;
  const hasDigit = DIGIT.test(text);
  const hasAt = text.includes('@', from);
  const hasColon = text.includes(':', from);
  for (const [priority, detector] of DETECTORS.entries()) {
    const { gate } = detector;
    if (gate === 'digit' ? !hasDigit : gate === '@' ? !hasAt : !hasColon) continue;
    const found = (start: number, end: number) => {
      candidates.push({ kind: detector.kind, start, end, priority });
    };
    if (detector.anchor === undefined) scanEverywhere(detector, text, from, found);
    else scanAnchored(detector, detector.anchor, text, from, found);
  }
  return candidates;
}

type Found = (start: number, end: number) => void;

function scanEverywhere(detector: Detector, text: string, from: number, found: Found): void {
  const { pattern } = detector;
  pattern.lastIndex = from;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const matchEnd = detector.accept(match, text);
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
      const matchEnd = match === null ? undefined : detector.accept(match, text);
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
  const kept: PiiMatch[] = [];
  for (const candidate of candidates) {
    if (kept.every((match) => candidate.end <= match.start || candidate.start >= match.end)) {
      kept.push({ kind: candidate.kind, start: candidate.start, end: candidate.end });
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}
