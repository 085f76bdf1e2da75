import type { CountryCode } from 'libphonenumber-js/max';
import { PII_KINDS } from '../../../crds/pii-settings.ts';

/** Every kind the detectors find (the contract's list: gateway.yaml names them in `safety.pii`). */
export { PII_KINDS };

export type PiiKind = (typeof PII_KINDS)[number];

/** A found piece of personal data: `text.slice(start, end)`; the value itself is never kept. */
export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

/** What detection depends on beyond the text. */
export interface PiiOptions {
  /**
   * The regions whose national phone formats count (a number written with `+` or an
   * international prefix is validated for its own country whatever this says).
   * @default ['ES']
   */
  phoneRegions?: readonly CountryCode[];
}

export const DEFAULT_PHONE_REGIONS: readonly CountryCode[] = ['ES'];

/** One detector: a bounded pattern whose matches are candidates that {@link Detector.accept} confirms. */
export interface Detector {
  kind: PiiKind;
  /** Global, or sticky for an anchored detector. */
  pattern: RegExp;
  /** What a text must contain for this detector to find anything. */
  gate: 'digit' | '@' | ':' | '-----BEGIN';
  /**
   * For patterns that a regex scan would try at every position (the look-behind alone costs
   * 10-25 µs per 2 KB of prose): the match starts where a run of `inRun` characters around an
   * `at` character starts, so the sticky pattern is tried once per such run instead.
   */
  anchor?: { at: string; inRun: (code: number) => boolean };
  /**
   * The end of the confirmed match, or undefined to reject it. `text` is the whole scanned
   * text, so that a detector may read up to 40 characters before the match (a keyword).
   */
  accept(match: RegExpExecArray, text: string, options: Required<PiiOptions>): number | undefined;
}

export const matchEnd = (match: RegExpExecArray) => match.index + match[0].length;

/** A capture group that the pattern always fills when it matches. */
export function group(match: RegExpExecArray, index: number): string {
  return match[index] ?? '';
}

/** The `length` characters before `index`, lower-cased: where a detector looks for a keyword. */
export function before(text: string, index: number, length: number): string {
  return text.slice(Math.max(0, index - length), index).toLowerCase();
}
