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

/**
 * `text` under `policies`: as is (`off` for every kind, without scanning), with the `redact`
 * kinds redacted and the `off` kinds left, or refused when it holds a `block` kind.
 * @throws ApiError `CONTENT_BLOCKED` when a `block` kind is found, naming the blocked kinds in
 *   the message and `details.kinds`, never the values.
 */
export function applyPiiPolicy(text: string, policies: PiiPolicies, options?: PiiOptions): string {
  if (policies === 'off') return text;
  if (typeof policies !== 'string' && allOff(policies)) return text;
  const matches = findPii(text, options);
  if (matches.length === 0) return text;
  const blocked = [
    ...new Set(matches.filter((m) => policyFor(policies, m.kind) === 'block').map((m) => m.kind)),
  ];
  if (blocked.length > 0) {
    throw new ApiError(
      'CONTENT_BLOCKED',
      `Content contains personal data (${blocked.join(', ')}); the PII policy blocks it.`,
      { details: { kinds: blocked } },
    );
  }
  const redacted = matches.filter((match) => policyFor(policies, match.kind) === 'redact');
  return redacted.length === 0 ? text : redact(text, redacted, zeroCounts());
}

function allOff(policies: Exclude<PiiPolicies, PiiPolicy>): boolean {
  return (
    policies.default === 'off' &&
    Object.values(policies.kinds ?? {}).every((policy) => policy === 'off')
  );
}
