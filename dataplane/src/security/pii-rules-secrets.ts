import { before, matchEnd, type Detector } from './pii-kinds.ts';

/** The longest PEM block matched: a 4096-bit RSA key in PKCS#1 is about 3.3 KB. */
export const PEM_MAX_SPAN = 8200;

/**
 * Header and footer words are bounded so that the block's span is; the body has no `-----`
 * (base64 and RFC 1421 headers never do), so a scan stops at the next header or footer.
 */
const PEM_BLOCK =
  /-----BEGIN (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY-----(?:(?!-----)[\s\S]){16,8000}-----END (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY-----/g;

/** The end of the PEM block that starts at `start` in `buffer`, or undefined. */
export function pemBlockEnd(buffer: string, start: number): number | undefined {
  const sticky = new RegExp(PEM_BLOCK.source, 'y');
  sticky.lastIndex = start;
  const match = sticky.exec(buffer);
  return match === null ? undefined : matchEnd(match);
}

const PEM_HEADER = /^-----BEGIN (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY-----/;

/**
 * Whether a PEM block starting at `start` could still match once more text arrives: its header
 * is incomplete or a private key's, and it is not yet longer than any block could be.
 */
export function pemStillOpen(buffer: string, start: number): boolean {
  if (buffer.length - start > PEM_MAX_SPAN) return false;
  const header = buffer.slice(start, start + 64);
  const close = header.indexOf('-----', 10);
  // A header is at most 60 characters, on one line.
  if (close === -1) return header.length < 64 && !header.includes('\n');
  if (!PEM_HEADER.test(header)) return false;
  // The body ends at the first `-----`, which must begin the footer.
  const dashes = buffer.indexOf('-----', start + close + 5);
  if (dashes === -1) return true;
  const footer = buffer.slice(dashes, dashes + 64);
  if (!footer.startsWith('-----END ') && !'-----END '.startsWith(footer)) return false;
  // A complete footer that did not match never will; an incomplete one may.
  return footer.indexOf('-----', 9) === -1 && footer.length < 64 && !footer.includes('\n');
}

const isBase64Url = (code: number) =>
  (code >= 48 && code <= 57) ||
  (code >= 65 && code <= 90) ||
  (code >= 97 && code <= 122) ||
  code === 45 ||
  code === 95;

/**
 * The key-ish words a `secret` must follow, then up to 6 characters of `:`, `=`, `=>`, quotes
 * or spaces (`api_key="…"`, `token: …`, `password …`).
 */
const KEY_WORD =
  /(?:api[_-]?key|apikey|access[_-]?key|secret[_-]?key|account[_-]?key|subscription[_-]?key|private[_-]?key|client[_-]?secret|secret|token|passw(?:or)?d|pwd|credentials?|auth(?:orization)?|bearer)["']?(?:\s{0,3}(?:[:=]|=>|is)?\s{0,3})["']?$/;

/**
 * Secrets, in priority order: PEM private-key blocks (RFC 7468), JWTs (RFC 7519, header and
 * payload are base64url JSON and so start `eyJ`), provider keys by their published prefixes,
 * and high-entropy values after a key-ish word.
 */
export const SECRET_DETECTORS: readonly Detector[] = [
  { kind: 'private_key', pattern: PEM_BLOCK, gate: '-----BEGIN', accept: matchEnd },
  {
    kind: 'jwt',
    pattern:
      /eyJ[A-Za-z0-9_-]{5,500}\.eyJ[A-Za-z0-9_-]{5,3000}\.[A-Za-z0-9_-]{0,700}(?![A-Za-z0-9_-])/y,
    gate: 'digit',
    anchor: { at: 'eyJ', inRun: isBase64Url },
    accept: matchEnd,
  },
  {
    kind: 'api_key',
    // OpenAI sk- / sk-proj- / sk-svcacct-, Anthropic sk-ant-, Groq gsk_, AWS AKIA/ASIA, GCP
    // AIza (39 characters), GitHub ghp_ gho_ ghu_ ghs_ ghr_ and github_pat_, Slack xoxb- xoxp-
    // xoxa- xoxr- xoxs-, Stripe sk_live_ and rk_live_.
    pattern:
      /(?<![A-Za-z0-9_-])(?:sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}|gsk_[A-Za-z0-9]{40,60}|(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{35}|gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255}|xox[abprs]-[A-Za-z0-9-]{10,250}|[rs]k_live_[A-Za-z0-9]{20,250})(?![A-Za-z0-9_-])/g,
    gate: 'digit',
    // A random key of 16+ characters has a digit and a letter; "sk-learn-style-words" does not.
    accept: (match) => (HAS_DIGIT.test(match[0]) ? matchEnd(match) : undefined),
  },
];

/** Last of all detectors: anything more specific wins. */
export const KEYWORD_SECRET: Detector = {
  kind: 'secret',
  // A value may start right after `=` (`AccountKey=…` is one run of value characters).
  pattern: /(?<![A-Za-z0-9_\-.+/])[A-Za-z0-9_\-.+/=]{16,256}(?![A-Za-z0-9_\-.+/=])/g,
  gate: 'digit',
  accept(match, text) {
    if (!KEY_WORD.test(before(text, match.index, 40))) return undefined;
    // A trailing full stop ends the sentence, not the secret.
    const value = match[0].replace(TRAILING_DOTS, '');
    return value.length >= 16 && highEntropy(value) ? match.index + value.length : undefined;
  },
};

const HAS_DIGIT = /\d/;
const HAS_LETTER = /[A-Za-z]/;
const TRAILING_DOTS = /\.+$/;

/** Letters and digits mixed, at least 3 bits of Shannon entropy a character. */
export function highEntropy(value: string): boolean {
  if (!HAS_DIGIT.test(value) || !HAS_LETTER.test(value)) return false;
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits >= 3;
}
