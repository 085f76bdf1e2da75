import { ApiError } from '../errors/api-error.ts';
import {
  resolvePii,
  scanPii,
  type PiiKind,
  type PiiMatch,
  type PiiOptions,
} from './pii-detectors.ts';
import { redact, zeroCounts, type PiiCounts } from './pii-redact.ts';

export { createStreamRedactor, type StreamRedactor } from './pii-stream.ts';
export { PII_KINDS, type PiiKind, type PiiMatch, type PiiOptions } from './pii-detectors.ts';
export type { PiiCounts } from './pii-redact.ts';

/** What to do with personal data: leave it, replace it by `[REDACTED:<kind>]`, or refuse. */
export type PiiPolicy = 'off' | 'redact' | 'block';

/** One policy for every kind, or a default with some kinds set apart. */
export type PiiPolicies =
  PiiPolicy | { default: PiiPolicy; kinds?: Partial<Record<PiiKind, PiiPolicy>> };

/**
 * Personal data and secrets in `text`, in text order and never overlapping: see `PII_KINDS`
 * and docs/safety.md for what each detector finds and how it is validated.
 */
export function findPii(text: string, options?: PiiOptions): PiiMatch[] {
  return resolvePii(scanPii(text, 0, options));
}

/** `text` with each match replaced by `[REDACTED:<kind>]`, and how many of each kind there were. */
export function redactPii(text: string, options?: PiiOptions): { text: string; counts: PiiCounts } {
  const counts = zeroCounts();
  const matches = findPii(text, options);
  return matches.length === 0 ? { text, counts } : { text: redact(text, matches, counts), counts };
}

/** The policy that applies to `kind`. */
export function policyFor(policies: PiiPolicies, kind: PiiKind): PiiPolicy {
  return typeof policies === 'string' ? policies : (policies.kinds?.[kind] ?? policies.default);
}

/** What {@link checkPii} made of a text. */
export interface PiiChecked {
  /** The text with the `redact` kinds redacted (as it came when a `block` kind was found). */
  text: string;
  /** Matches of the kinds that were acted on (redacted or blocking), by kind; never values. */
  counts: Partial<Record<PiiKind, number>>;
  /** The `block` kinds found, in text order: the text must be refused when there are any. */
  blocked: PiiKind[];
}

/**
 * `text` under `policies`: as is (`off` for every kind, without scanning), with the `redact`
 * kinds redacted and the `off` kinds left; the `block` kinds found are reported, for the
 * caller to refuse with {@link piiBlocked} once it has counted them.
 */
export function checkPii(text: string, policies: PiiPolicies, options?: PiiOptions): PiiChecked {
  if (allOff(policies)) return { text, counts: {}, blocked: [] };
  const counts: Partial<Record<PiiKind, number>> = {};
  const blocked = new Set<PiiKind>();
  const redacted: PiiMatch[] = [];
  for (const match of findPii(text, options)) {
    const policy = policyFor(policies, match.kind);
    if (policy === 'off') continue;
    counts[match.kind] = (counts[match.kind] ?? 0) + 1;
    if (policy === 'block') blocked.add(match.kind);
    else redacted.push(match);
  }
  if (blocked.size > 0) return { text, counts, blocked: [...blocked] };
  return {
    text: redacted.length === 0 ? text : redact(text, redacted, zeroCounts()),
    counts,
    blocked: [],
  };
}

/**
 * The refusal of content that holds `kinds` under a `block` policy: `CONTENT_BLOCKED`, reason
 * `pii`, naming the kinds in the message and `details.kinds`, never the values.
 */
export function piiBlocked(kinds: readonly PiiKind[]): ApiError {
  return new ApiError(
    'CONTENT_BLOCKED',
    `Content contains personal data (${kinds.join(', ')}); the PII policy blocks it.`,
    { details: { reason: 'pii', kinds: [...kinds] } },
  );
}

function allOff(policies: PiiPolicies): boolean {
  if (typeof policies === 'string') return policies === 'off';
  return (
    policies.default === 'off' &&
    Object.values(policies.kinds ?? {}).every((policy) => policy === 'off')
  );
}
