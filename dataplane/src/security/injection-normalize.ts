/**
 * The views of one untrusted text that the injection rules are matched against. Each view is a
 * rewriting of the base text (NFKC, invisible characters dropped: what the sanitiser cuts from)
 * that undoes one way of hiding words from a pattern, and carries a map from each of its
 * characters back to the base text, so that a match in any view names a span of the base text.
 *
 * - `plain`: the base text itself.
 * - `decoded`: markup taken apart: HTML/XML comment delimiters, CDATA and tags become spaces
 *   (the words inside a comment stay, so hidden instructions are read like visible ones),
 *   character references (`&lt;`, `&#105;`) and JSON string escapes (`\"`, `\n`, `\u0069`)
 *   are decoded, so a pasted `{"role":"system","content":"…"}` object reads as its words.
 * - `collapsed`: letters spaced out or punctuated apart (`i g n o r e`, `i.g.n.o.r.e`,
 *   `i-g-n-o-r-e`) joined again (a wider gap between them stays a word break), and digits
 *   inside a word read as the letters they stand for (`1gn0re`).
 * - `encoded`: runs of base64, hex, bits, percent escapes or Morse code that decode to readable
 *   text, decoded in place.
 * - `rot13`: the whole text with Latin letters rotated by 13 (ROT13 is its own inverse).
 * - `reversed`: the whole text read backwards, for a text that holds English words written
 *   backwards ("snoitcurtsni suoiverp lla erongi").
 *
 * Each view also exists folded ({@link foldConfusables}: Cyrillic and Greek look-alikes and
 * Latin small capitals read as Latin), for the Latin-script rule packs; the Cyrillic pack reads
 * the unfolded ones.
 */
import { foldConfusables } from './sanitizer-rules.ts';

export interface TextView {
  readonly name: 'plain' | 'decoded' | 'collapsed' | 'encoded' | 'rot13' | 'reversed';
  readonly text: string;
  /** Index in the base text of each character of `text`; undefined for `plain` (identity). */
  readonly map: Int32Array | undefined;
  /** `text` with look-alike letters folded to Latin (same length, same map). */
  readonly folded: string;
}

/** A base-text span for `[start, end)` of a view. */
export function baseSpan(view: TextView, start: number, end: number): [number, number] {
  if (view.map === undefined) return [start, end];
  const first = view.map[start] ?? 0;
  const last = view.map[Math.max(start, end - 1)] ?? first;
  // A reversed view maps backwards.
  return [Math.min(first, last), Math.max(first, last) + 1];
}

/** Builds a view character by character, remembering where each came from. */
class ViewBuilder {
  #parts: string[] = [];
  #map: number[] = [];

  push(text: string, from: number): void {
    for (let index = 0; index < text.length; index++) {
      this.#parts.push(text[index] ?? '');
      this.#map.push(from);
    }
  }

  get length(): number {
    return this.#parts.length;
  }

  build(name: TextView['name']): TextView {
    const text = this.#parts.join('');
    return { name, text, map: Int32Array.from(this.#map), folded: foldConfusables(text) };
  }
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/**
 * Markup, references and escapes of the `decoded` view, tried at each position in this order:
 * a comment or CDATA delimiter, a tag (a name after `<`, attributes up to `>` on the same
 * 400 characters), a character reference, a JSON escape.
 */
const DECODE_PATTERN =
  /<!--|--!?>|<!\[CDATA\[|\]\]>|<\/?[a-z][\w:-]{0,40}(?:\s[^<>]{0,400})?\/?>|&(?:#x([\da-f]{1,6})|#(\d{1,7})|([a-z]{2,6}));|\\u([\da-f]{4})|\\([nrt"\\/])/gi;
const DECODE_GATE = /[<&\\\]-]/;

const JSON_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\n',
  t: ' ',
  '"': '"',
  '\\': '\\',
  '/': '/',
};

function decodedView(base: string): TextView | undefined {
  if (!DECODE_GATE.test(base)) return undefined;
  const out = new ViewBuilder();
  let copied = 0;
  let changed = false;
  DECODE_PATTERN.lastIndex = 0;
  for (let match = DECODE_PATTERN.exec(base); match; match = DECODE_PATTERN.exec(base)) {
    const [whole, hex, decimal, named, unicode, escape] = match;
    let replacement: string | undefined;
    if (hex !== undefined || decimal !== undefined) {
      const code = Number.parseInt(hex ?? decimal ?? '', hex === undefined ? 10 : 16);
      replacement = code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
    } else if (named !== undefined) {
      replacement = NAMED_ENTITIES[named.toLowerCase()];
    } else if (unicode !== undefined) {
      replacement = String.fromCharCode(Number.parseInt(unicode, 16));
    } else if (escape !== undefined) {
      replacement = JSON_ESCAPES[escape];
    } else {
      // A comment, CDATA delimiter or tag reads as a word break.
      replacement = ' ';
    }
    if (replacement === undefined) continue;
    for (let index = copied; index < match.index; index++) out.push(base[index] ?? '', index);
    out.push(replacement, match.index);
    copied = match.index + whole.length;
    changed = true;
  }
  if (!changed) return undefined;
  for (let index = copied; index < base.length; index++) out.push(base[index] ?? '', index);
  return out.build('decoded');
}

/** Digits and signs that stand for letters inside a word (leetspeak). */
const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

/**
 * Three or more single letters, each followed by one separator (a space, `.`, `-`, `_`, `*`),
 * e.g. `i g n o r e` or `i.g.n.o.r.e`; the run ends at a wider gap or a longer word.
 */
const SPACED_RUN = /(?<![\p{L}\p{N}])\p{L}(?:[ .\-_*]\p{L}(?![\p{L}\p{N}])){2,}/gu;
/** A word mixing letters with the digits and signs of {@link LEET}. */
const LEET_WORD =
  /(?<![\p{L}\p{N}])(?=[\p{L}\d@$]*\p{L})(?=[\p{L}\d@$]*[013457@$])[\p{L}\d@$]{3,}/gu;

function collapsedView(base: string): TextView | undefined {
  const edits: { start: number; end: number; text: string }[] = [];
  SPACED_RUN.lastIndex = 0;
  for (let match = SPACED_RUN.exec(base); match; match = SPACED_RUN.exec(base)) {
    edits.push({
      start: match.index,
      end: match.index + match[0].length,
      text: match[0].replace(/[ .\-_*]/g, ''),
    });
  }
  LEET_WORD.lastIndex = 0;
  for (let match = LEET_WORD.exec(base); match; match = LEET_WORD.exec(base)) {
    // Numbers with a unit ("5km", "3rd", "4x4", "v1") are not leetspeak.
    if (/^\d+\p{L}{1,3}$|^\p{L}{1,2}\d+$/u.test(match[0])) continue;
    edits.push({
      start: match.index,
      end: match.index + match[0].length,
      text: match[0].replace(/[013457@$]/g, (sign) => LEET[sign] ?? sign),
    });
  }
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => a.start - b.start);
  const out = new ViewBuilder();
  let copied = 0;
  for (const edit of edits) {
    if (edit.start < copied) continue;
    for (let index = copied; index < edit.start; index++) out.push(base[index] ?? '', index);
    // Same length: each output character maps to its own; shorter: to the run's letters in order.
    const source = base.slice(edit.start, edit.end);
    let cursor = edit.start;
    for (const letter of edit.text) {
      const found = source.indexOf(letter, cursor - edit.start);
      cursor = found === -1 ? cursor : edit.start + found;
      out.push(letter, cursor);
      cursor += 1;
    }
    copied = edit.end;
  }
  for (let index = copied; index < base.length; index++) out.push(base[index] ?? '', index);
  return out.build('collapsed');
}

/**
 * A run that may hold an encoded sentence, tried at each position in this order: bits (eight a
 * byte, spaced or not), percent escapes, Morse code (letters a space apart, words ` / ` or
 * three spaces apart), base64 (or base64url) long enough to hold a sentence, hex byte pairs.
 */
const ENCODED_RUN = new RegExp(
  [
    String.raw`(?<![\w])(?<bits>(?:[01]{8} ?){6,})(?![\w])`,
    String.raw`(?<percent>(?:%[0-9a-f]{2}){6,})`,
    String.raw`(?<![\w.-])(?<morse>(?:[.-]{1,6}(?: {1,3}| ?\/ ?)){5,}[.-]{1,6})(?![\w.-])`,
    String.raw`(?<![\w+/=-])(?<base64>[A-Za-z0-9+/_-]{20,}={0,2})(?![\w+/=-])`,
    String.raw`(?<![\w])(?<hex>(?:[0-9a-f]{2}[ :]?){12,})(?![\w])`,
  ].join('|'),
  'gi',
);

/** International Morse code, each letter or digit before its code. */
const MORSE_LETTERS =
  'a.- b-... c-.-. d-.. e. f..-. g--. h.... i.. j.--- k-.- l.-.. m-- n-. o--- p.--. q--.- r.-. ' +
  's... t- u..- v...- w.-- x-..- y-.-- z--.. 0----- 1.---- 2..--- 3...-- 4....- 5..... ' +
  '6-.... 7--... 8---.. 9----.';
const MORSE: Readonly<Record<string, string>> = Object.fromEntries(
  MORSE_LETTERS.split(' ').map((entry) => [entry.slice(1), entry.slice(0, 1)]),
);

function fromMorse(run: string): string {
  return run
    .trim()
    .split(/ ?\/ ?| {3,}/)
    .map((word) =>
      word
        .trim()
        .split(/ +/)
        .map((letter) => MORSE[letter] ?? '?')
        .join(''),
    )
    .join(' ');
}

/** The bytes a run of {@link ENCODED_RUN} stands for. */
function bytesOf(groups: Record<string, string | undefined>): Buffer {
  const { bits, percent, morse, base64, hex } = groups;
  if (bits !== undefined) {
    const bytes = bits.replace(/ /g, '').match(/[01]{8}/g) ?? [];
    return Buffer.from(bytes.map((byte) => Number.parseInt(byte, 2)));
  }
  if (percent !== undefined) return Buffer.from(percent.replace(/%/g, ''), 'hex');
  if (morse !== undefined) return Buffer.from(fromMorse(morse));
  const run = base64 ?? hex ?? '';
  const compact = run.replace(/[ :]/g, '');
  return /^[0-9a-f]+$/i.test(compact) && compact.length % 2 === 0
    ? Buffer.from(compact, 'hex')
    : Buffer.from(run, 'base64');
}

/** `bytes` as text when nearly all of it is printable and it holds a space: else undefined. */
function readable(bytes: Buffer): string | undefined {
  if (bytes.length < 8) return undefined;
  const text = bytes.toString('utf8');
  let printable = 0;
  for (const char of text) if (/[\p{L}\p{N}\p{P}\p{Zs}\n]/u.test(char)) printable += 1;
  return printable >= text.length * 0.9 && text.includes(' ') ? text : undefined;
}

function encodedView(base: string): TextView | undefined {
  const out = new ViewBuilder();
  let copied = 0;
  ENCODED_RUN.lastIndex = 0;
  for (let match = ENCODED_RUN.exec(base); match; match = ENCODED_RUN.exec(base)) {
    const run = match[0];
    const decoded = readable(bytesOf(match.groups ?? {}));
    if (decoded === undefined) continue;
    for (let index = copied; index < match.index; index++) out.push(base[index] ?? '', index);
    out.push(` ${decoded} `, match.index);
    copied = match.index + run.length;
  }
  if (copied === 0) return undefined;
  for (let index = copied; index < base.length; index++) out.push(base[index] ?? '', index);
  return out.build('encoded');
}

function rot13(text: string): string {
  return text.replace(/[a-z]/gi, (letter) => {
    const code = letter.charCodeAt(0);
    const a = code < 97 ? 65 : 97;
    return String.fromCharCode(((code - a + 13) % 26) + a);
  });
}

/**
 * Common English words and the words of an override, spelt backwards: two of them make a text
 * worth reading backwards (forwards, English prose holds next to none).
 */
const BACKWARDS_WORDS =
  /\b(?:eht|dna|uoy|ruoy|lla|siht|taht|rof|htiw|erongi|dragersid|snoitcurtsni|suoiverp|tpmorp|metsys|laever|selur)\b/gi;

/** `base` read backwards (by code point), each character mapped to where it stands in `base`. */
function reversedView(base: string): TextView | undefined {
  if ((base.match(BACKWARDS_WORDS)?.length ?? 0) < 2) return undefined;
  const out = new ViewBuilder();
  for (let index = base.length; index > 0;) {
    const code = base.codePointAt(index - 1) ?? 0;
    // The low half of a surrogate pair: take the pair whole.
    const width = code >= 0xdc00 && code <= 0xdfff && index > 1 ? 2 : 1;
    index -= width;
    out.push(base.slice(index, index + width), index);
  }
  return out.build('reversed');
}

/**
 * The views of `base` (already NFKC-normalised, invisible characters dropped), `plain` first;
 * a view that would equal another is left out.
 */
export function viewsOf(base: string): TextView[] {
  const plain: TextView = {
    name: 'plain',
    text: base,
    map: undefined,
    folded: foldConfusables(base),
  };
  const views = [plain];
  const decoded = decodedView(base);
  if (decoded !== undefined) views.push(decoded);
  const collapsed = collapsedView(decoded?.text ?? base);
  if (collapsed !== undefined) {
    // Compose the maps: collapsed indexes the decoded text, which indexes the base.
    const inner = decoded?.map;
    const map =
      inner === undefined || collapsed.map === undefined
        ? collapsed.map
        : collapsed.map.map((index) => inner[index] ?? 0);
    views.push({ ...collapsed, map });
  }
  const encoded = encodedView(base);
  if (encoded !== undefined) views.push(encoded);
  if (/[a-z]{3}/i.test(base)) {
    const rotated = rot13(base);
    views.push({ name: 'rot13', text: rotated, map: undefined, folded: foldConfusables(rotated) });
  }
  const reversed = reversedView(base);
  if (reversed !== undefined) views.push(reversed);
  return views;
}
