import { isIPv6 } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { cardBrandValid, IBAN_LENGTHS, ibanValid, luhnValid } from './pii-checks.ts';
import { before, matchEnd, type Detector } from './pii-kinds.ts';

/** Letters, marks and digits of any script, and the rest of RFC 5322's common local part. */
const LOCAL_PART = /[\p{L}\p{M}\p{N}._%+-]/u;

/**
 * Emails, IBANs, cards, IP addresses and phone numbers, in priority order (see
 * `pii-detectors.ts`). Emails are internationalised (RFC 6531): local part and domain labels in
 * any script, the top-level domain ASCII, punycode (`xn--`) or letters of any script.
 */
export const PERSONAL_DETECTORS: readonly Detector[] = [
  {
    kind: 'email',
    pattern:
      /(?<![\p{L}\p{M}\p{N}._%+-])[\p{L}\p{M}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,30}[\p{L}\p{M}\p{N}])?\.){1,6}(?:xn--[a-z0-9-]{1,30}|[\p{L}\p{M}]{2,24})(?![\p{L}\p{M}\p{N}-]|\.[\p{L}\p{N}])/uy,
    gate: '@',
    anchor: { at: '@', inRun: (code) => isLocalPart(code) },
    accept: matchEnd,
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
      for (; compact.length < length && index < matchEnd(match); index += 1) {
        const character = text.charAt(index);
        if (character !== ' ') compact += character;
      }
      if (compact.length < length || isAlphanumeric(text.charCodeAt(index))) return undefined;
      return ibanValid(compact) ? index : undefined;
    },
  },
  {
    kind: 'credit_card',
    pattern: /(?<!\d[ -]?)\d(?:[ -]?\d){11,18}(?![ -]?\d)/g,
    gate: 'digit',
    accept(match) {
      const digits = match[0].replace(NOT_DIGIT, '');
      return cardBrandValid(digits) && luhnValid(digits) ? matchEnd(match) : undefined;
    },
  },
];

/** After the national ids: addresses, then phone numbers. */
export const ADDRESS_DETECTORS: readonly Detector[] = [
  {
    kind: 'ipv6',
    pattern:
      /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\w)/y,
    gate: ':',
    anchor: { at: ':', inRun: isWordColonOrDot },
    accept(match) {
      // At least 4 hex digits: "::1" and C++'s "a::b" are not anybody's address.
      const hexDigits = match[0].length - (match[0].match(COLON_OR_DOT)?.length ?? 0);
      return hexDigits >= 4 && isIPv6(match[0]) ? matchEnd(match) : undefined;
    },
  },
  {
    kind: 'ipv4',
    pattern:
      /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\w)/g,
    gate: 'digit',
    // "version 1.2.3.4" is a version: the word before decides (a bare "v1.2.3.4" never matches).
    // 0.0.0.0/8 (this host) and 127.0.0.0/8 (loopback) identify no one, like IPv6's ::1.
    accept: (match, text) =>
      VERSION_WORD.test(before(text, match.index, 16)) || NO_ONE.test(match[0])
        ? undefined
        : matchEnd(match),
  },
  {
    kind: 'phone',
    // A candidate: optional +country or 00 prefix, an optional (area), then digits with single
    // separators; libphonenumber-js decides whether it is a valid number.
    pattern:
      /(?<![\w+.]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d(?:[ .-]?\d|[ .-]?\(\d{1,4}\)){5,16}(?![ .-]?\d|\w)/g,
    gate: 'digit',
    accept(match, _text, options) {
      const candidate = match[0];
      const digits = candidate.replace(NOT_DIGIT, '').length;
      if (digits < 7 || digits > 17) return undefined;
      if (candidate.startsWith('+')) {
        return parsePhoneNumberFromString(candidate)?.isValid() ? matchEnd(match) : undefined;
      }
      // Dots every three digits are thousands ("987.654.321 €"), not a phone number.
      if (THOUSANDS.test(candidate)) return undefined;
      const valid = options.phoneRegions.some(
        (region) => parsePhoneNumberFromString(candidate, region)?.isValid() === true,
      );
      return valid ? matchEnd(match) : undefined;
    },
  },
];

const NOT_DIGIT = /\D/g;
const COLON_OR_DOT = /[:.]/g;
const NO_ONE = /^(?:0|127)\./;
const THOUSANDS = /^\d{1,3}(?:\.\d{3})+$/;
const VERSION_WORD = /(?:version|versión|release|build|ver\.?|firmware|v)\s*$/;

export function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The email look-behind's class, for a UTF-16 code unit (surrogates count as letters). */
function isLocalPart(code: number): boolean {
  if (code < 128) {
    return (
      isAlphanumeric(code) ||
      code === 46 ||
      code === 95 ||
      code === 37 ||
      code === 43 ||
      code === 45
    );
  }
  return (code >= 0xd800 && code <= 0xdfff) || LOCAL_PART.test(String.fromCharCode(code));
}

/** The IPv6 look-behind's class: `[\w:.]`. */
function isWordColonOrDot(code: number): boolean {
  return isAlphanumeric(code) || code === 95 || code === 58 || code === 46;
}
