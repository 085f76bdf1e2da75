import { ApiError } from '../errors/api-error.ts';
import { resolvePii, scanPii, type PiiMatch } from './pii-detectors.ts';
import { redact, zeroCounts, type PiiCounts } from './pii-redact.ts';

export { createStreamRedactor, type StreamRedactor } from './pii-stream.ts';
export { PII_KINDS, type PiiKind, type PiiMatch } from './pii-detectors.ts';
export type { PiiCounts } from './pii-redact.ts';

/** What to do with personal data: leave it, replace it by `[REDACTED:<kind>]`, or refuse. */
export type PiiPolicy = 'off' | 'redact' | 'block';

/**
 * Personal data in `text`, in text order and never overlapping: emails, phone numbers
 * (international with `+`, Spanish national), credit cards (Luhn), IBANs (mod 97), US SSNs,
 * Spanish DNI and NIE (check letter), IPv4 and IPv6 addresses.
 */
export function findPii(text: string): PiiMatch[] {
  return resolvePii(scanPii(text));
}

/** `text` with each match replaced by `[REDACTED:<kind>]`, and how many of each kind there were. */
export function redactPii(text: string): { text: string; counts: PiiCounts } {
  const counts = zeroCounts();
  const matches = findPii(text);
  return matches.length === 0 ? { text, counts } : { text: redact(text, matches, counts), counts };
}

/**
 * `text` under `policy`: as is (`off`, without scanning), redacted (`redact`), or as is when it
 * holds no personal data (`block`).
 * @throws ApiError `CONTENT_BLOCKED` under `block` when it does, naming the kinds in the message
 *   and `details.kinds`, never the values.
 */
export function applyPiiPolicy(text: string, policy: PiiPolicy): string {
  if (policy === 'off') return text;
  if (policy === 'redact') return redactPii(text).text;
  const matches = findPii(text);
  if (matches.length === 0) return text;
  const kinds = [...new Set(matches.map((match) => match.kind))];
  throw new ApiError(
    'CONTENT_BLOCKED',
    `Content contains personal data (${kinds.join(', ')}); the PII policy blocks it.`,
    { details: { kinds } },
  );
}
