/**
 * Check digits of national identity and tax numbers, each from the issuer's published
 * algorithm, so that a run of digits that merely has the right length is not redacted.
 */

const digitsOf = (text: string) => Array.from(text, (character) => character.charCodeAt(0) - 48);

/** UK NINO (HMRC NIM39110): no D F I Q U V first, no D F I O Q U V second, some pairs unused. */
export function ninoValid(prefix: string): boolean {
  return (
    /^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]$/.test(prefix) &&
    !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(prefix)
  );
}

/** French NIR (INSEE): the key is 97 minus the 13-digit number mod 97; Corsica's 2A/2B read 19/18. */
export function nirValid(number13: string, key: string): boolean {
  const department = number13.slice(5, 7).toUpperCase();
  const numeric =
    department === '2A'
      ? `${number13.slice(0, 5)}19${number13.slice(7)}`
      : department === '2B'
        ? `${number13.slice(0, 5)}18${number13.slice(7)}`
        : number13;
  if (!/^\d{13}$/.test(numeric)) return false;
  return 97 - Number(BigInt(numeric) % 97n) === Number(key);
}

/**
 * German Steuer-ID (BZSt): 11 digits, no leading 0; in the first ten exactly one digit occurs
 * twice or three times (not three in a row), and the last is an ISO 7064 MOD 11,10 check digit.
 */
export function steuerIdValid(digits: string): boolean {
  if (digits.length !== 11 || digits[0] === '0') return false;
  const values = digitsOf(digits);
  const counts = new Array<number>(10).fill(0);
  for (const value of values.slice(0, 10)) counts[value] = (counts[value] ?? 0) + 1;
  const repeated = counts.filter((count) => count >= 2);
  if (repeated.length !== 1 || (repeated[0] ?? 0) > 3) return false;
  if (/(\d)\1\1/.test(digits.slice(0, 10))) return false;
  let product = 10;
  for (const value of values.slice(0, 10)) {
    let sum = (value + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === values[10];
}

// Odd positions of the codice fiscale (1st, 3rd ...) map through this table (Decreto
// ministeriale 12/03/1974); even positions count 0-25 (digits 0-9, letters A=0 ... Z=25).
const CF_ODD = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/** Italian codice fiscale: 16 characters, the last a check letter over the first fifteen. */
export function codiceFiscaleValid(code: string): boolean {
  const upper = code.toUpperCase();
  let sum = 0;
  for (let index = 0; index < 15; index += 1) {
    const character = upper.charCodeAt(index);
    const value = character <= 57 ? character - 48 : character - 65;
    sum += index % 2 === 0 ? (CF_ODD[value] ?? 0) : value;
  }
  return String.fromCharCode(65 + (sum % 26)) === upper[15];
}

/** Portuguese NIF (AT): nine digits, the last a mod-11 check over weights 9 to 2. */
export function nifValid(digits: string): boolean {
  const values = digitsOf(digits);
  let sum = 0;
  for (let index = 0; index < 8; index += 1) sum += (values[index] ?? 0) * (9 - index);
  const remainder = sum % 11;
  return (remainder < 2 ? 0 : 11 - remainder) === values[8];
}

/** Brazilian CPF (Receita Federal): two mod-11 check digits; all-equal digits are not issued. */
export function cpfValid(digits: string): boolean {
  if (/^(\d)\1{10}$/.test(digits)) return false;
  const values = digitsOf(digits);
  for (const length of [9, 10]) {
    let sum = 0;
    for (let index = 0; index < length; index += 1)
      sum += (values[index] ?? 0) * (length + 1 - index);
    const check = ((sum * 10) % 11) % 10;
    if (check !== values[length]) return false;
  }
  return true;
}
