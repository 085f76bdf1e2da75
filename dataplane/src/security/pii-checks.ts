import { getCountrySpecifications, isValidIBAN } from 'ibantools';

/**
 * Check-digit validators that turn "looks like a number" into "is one": without them every long
 * digit run in a log or an order id would be redacted.
 */

/** Luhn (ISO/IEC 7812-1) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * IBAN length per country, from ibantools' copy of the SWIFT IBAN registry, so that a match
 * ends where the IBAN does.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(getCountrySpecifications()).flatMap(([country, spec]) =>
    spec.chars ? [[country, spec.chars]] : [],
  ),
);

/** ISO 13616 mod 97 and the country's BBAN format (ibantools) over a compact, upper-case IBAN. */
export function ibanValid(compact: string): boolean {
  return isValidIBAN(compact);
}

/**
 * Card brand ranges and lengths (the issuers' published IIN ranges): Visa 4 (13, 16, 19),
 * Mastercard 51-55 and 2221-2720 (16), Amex 34 and 37 (15), Diners 300-305, 36, 38-39 (14-19),
 * Discover 6011, 644-649, 65 (16-19), JCB 3528-3589 (16-19), UnionPay 62 (16-19), Maestro 50,
 * 56-58, 6 (12-19).
 */
export function cardBrandValid(digits: string): boolean {
  const length = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (digits[0] === '4') return length === 13 || length === 16 || length === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return length === 16;
  if (two === 34 || two === 37) return length === 15;
  if ((four >= 3000 && four <= 3059) || two === 36 || two === 38 || two === 39) {
    return length >= 14 && length <= 19;
  }
  if ((four >= 3528 && four <= 3589) || two === 62 || two === 65 || four === 6011) {
    return length >= 16 && length <= 19;
  }
  const three = Number(digits.slice(0, 3));
  if (three >= 644 && three <= 649) return length >= 16 && length <= 19;
  if (two === 50 || (two >= 56 && two <= 69)) return length >= 12 && length <= 19;
  return false;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** The Spanish DNI check letter: the number mod 23 indexes a fixed alphabet. */
export function dniValid(digits: string, letter: string): boolean {
  return DNI_LETTERS[Number(digits) % 23] === letter.toUpperCase();
}

/** A NIE is a DNI whose leading X, Y or Z stands for 0, 1 or 2. */
export function nieValid(prefix: string, digits: string, letter: string): boolean {
  const lead = 'XYZ'.indexOf(prefix.toUpperCase());
  return lead >= 0 && dniValid(`${lead}${digits}`, letter);
}

/** US SSN rules: no area 000, 666 or 9xx, no group 00, no serial 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}
