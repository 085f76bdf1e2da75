/**
 * A one-byte copy of a text for the Latin-script rule packs. V8 stores a string as one byte per
 * character until it holds a single character beyond Latin-1 (an emoji, a CJK word, a curly
 * quote), and its `iu` regular expressions run four to five times slower over a two-byte string:
 * a chat message with one emoji cost five times the scan of the same message without it. The
 * Latin-script rules read a stand-in of the same length in UTF-16 units instead, in which every
 * character beyond Latin-1 becomes one that each rule reads the same way:
 *
 * - the typographic quotes and dashes the rules spell (’ ‘ “ ” „ – — …) become their
 *   Windows-1252 byte (0x80–0x9F), and so do the rules' own ({@link toLatin1Pattern}); the C1
 *   controls those bytes stand for, when a text holds them, become `¤` first;
 * - a character whose lower case is one Latin-1 letter (ẞ, Ÿ, the Kelvin sign) becomes it, as
 *   the `i` flag would have matched it;
 * - any other letter becomes `ª`, a digit `²`, a line separator `\n`, other white space a space,
 *   anything else `¤`; each half of a surrogate pair likewise (so a character beyond the BMP
 *   counts as two in a bounded repeat such as `.{0,40}`: the one place the copy reads otherwise).
 *
 * A pack whose rules spell a character beyond Latin-1 other than those (the structure pack's
 * Cyrillic and CJK role labels) keeps reading the two-byte text.
 */

/** Windows-1252's bytes for the punctuation the rules spell, both ways. */
const CP1252: Readonly<Record<string, string>> = {
  '\u2018': '\x91',
  '\u2019': '\x92',
  '\u201c': '\x93',
  '\u201d': '\x94',
  '\u201e': '\x84',
  '\u2013': '\x96',
  '\u2014': '\x97',
  '\u2026': '\x85',
};
const CP1252_PATTERN = new RegExp(`[${Object.keys(CP1252).join('')}]`, 'g');

const BEYOND_LATIN1 = /[^\0-\xff]/;
/** What the copy replaces: C1 controls, surrogate pairs (one character) and anything else beyond Latin-1. */
const STAND_IN = /[\x80-\x9f]|[\ud800-\udbff][\udc00-\udfff]|[^\0-\xff]/g;

/** The stand-in of one character (`char` may be a surrogate pair: then two units). */
function standIn(char: string): string {
  const mapped = CP1252[char];
  if (mapped !== undefined) return mapped;
  if (char <= '\x9f') return '¤';
  const lower = char.toLowerCase();
  if (lower.length === 1 && lower <= '\xff') return lower;
  const one = /\p{L}/u.test(char)
    ? 'ª'
    : /\p{N}/u.test(char)
      ? '²'
      : char === '\u2028' || char === '\u2029'
        ? '\n'
        : /\s/u.test(char)
          ? ' '
          : '¤';
  return one.repeat(char.length);
}

/**
 * `text` as a one-byte string of the same length read the same way by the Latin-script rules
 * (see the module comment). Latin-1 text comes back as it is, made one-byte.
 */
export function toLatin1View(text: string): string {
  let mapped = text;
  if (BEYOND_LATIN1.test(text) || /[\x80-\x9f]/.test(text)) {
    mapped = '';
    let copied = 0;
    STAND_IN.lastIndex = 0;
    for (let match = STAND_IN.exec(text); match; match = STAND_IN.exec(text)) {
      mapped += text.slice(copied, match.index) + standIn(match[0]);
      copied = match.index + match[0].length;
    }
    mapped += text.slice(copied);
  }
  // A string built from a two-byte one may stay two-byte in V8; a Latin-1 round trip is not.
  return Buffer.from(mapped, 'latin1').toString('latin1');
}

/**
 * A Latin-script rule's source for {@link toLatin1View}'s copy, or undefined when the rule
 * spells a character the copy cannot hold (the pack then reads the two-byte text).
 */
export function toLatin1Pattern(source: string): string | undefined {
  const mapped = source.replace(CP1252_PATTERN, (char) => CP1252[char] ?? char);
  return BEYOND_LATIN1.test(mapped) || /\\u|\\x[89]/.test(mapped) ? undefined : mapped;
}
