import { dniValid, nieValid, ssnValid } from './pii-checks.ts';
import {
  codiceFiscaleValid,
  cpfValid,
  nifValid,
  ninoValid,
  nirValid,
  steuerIdValid,
} from './pii-checks-ids.ts';
import { before, group, matchEnd, type Detector } from './pii-kinds.ts';

const NOT_DIGIT = /\D/g;
const compact = (text: string) => text.replace(NOT_DIGIT, '');

/**
 * A Portuguese NIF is nine digits with a mod-11 check, which one random nine-digit number in
 * eleven passes: it counts only after a word that names it (`NIF`, `NIPC`, `contribuinte`, then
 * perhaps `é`, `nº`, `:`) or with the `PT` VAT prefix.
 */
const NIF_WORD =
  /(?:\bnif|\bnipc|contribuinte)(?:\s*(?:é|:|n\.?º|no\.?|número|number|is))?[\s:.-]{0,3}$/;

/**
 * National identity and tax numbers, in priority order, each in the formats its issuer
 * publishes and confirmed by its check digits where it has them.
 */
export const ID_DETECTORS: readonly Detector[] = [
  {
    kind: 'ssn',
    pattern: /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g,
    gate: 'digit',
    accept: (match) =>
      ssnValid(group(match, 1), group(match, 2), group(match, 3)) ? matchEnd(match) : undefined,
  },
  {
    kind: 'nie',
    pattern: /(?<!\w)([XYZxyz])-?(\d{7})[ -]?([A-Za-z])(?!\w)/g,
    gate: 'digit',
    accept: (match) =>
      nieValid(group(match, 1), group(match, 2), group(match, 3)) ? matchEnd(match) : undefined,
  },
  {
    kind: 'dni',
    pattern: /(?<!\w)(\d{8})[ -]?([A-Za-z])(?!\w)/g,
    gate: 'digit',
    accept: (match) => (dniValid(group(match, 1), group(match, 2)) ? matchEnd(match) : undefined),
  },
  {
    kind: 'nino',
    // HMRC's "QQ 12 34 56 C": two prefix letters, six digits (spaced in pairs or not), A-D.
    pattern: /(?<![A-Za-z0-9])([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])/g,
    gate: 'digit',
    accept: (match) => (ninoValid(group(match, 1)) ? matchEnd(match) : undefined),
  },
  {
    kind: 'nir',
    // INSEE: sex, year, month, department (2A/2B in Corsica), commune, order, then the key.
    pattern:
      /(?<![\w-])([1-478]) ?(\d{2}) ?(\d{2}) ?(\d{2}|2[ABab]) ?(\d{3}) ?(\d{3}) ?(\d{2})(?![\w-])/g,
    gate: 'digit',
    accept(match) {
      const number13 = [1, 2, 3, 4, 5, 6].map((index) => group(match, index)).join('');
      return nirValid(number13, group(match, 7)) ? matchEnd(match) : undefined;
    },
  },
  {
    kind: 'steuer_id',
    // BZSt prints it as "12 345 678 901"; also written without spaces.
    pattern: /(?<![\w-])[1-9]\d ?\d{3} ?\d{3} ?\d{3}(?![\w-])/g,
    gate: 'digit',
    accept: (match) => (steuerIdValid(compact(match[0])) ? matchEnd(match) : undefined),
  },
  {
    kind: 'codice_fiscale',
    // Surname, name, year, month letter, day (+40 for women), municipality, check letter;
    // omocodia swaps digits for L M N P Q R S T U V.
    pattern:
      /(?<![A-Za-z0-9])[A-Za-z]{6}[0-9LMNP-Vlmnp-v]{2}[ABCDEHLMPRSTabcdehlmprst][0-9LMNP-Vlmnp-v]{2}[A-Za-z][0-9LMNP-Vlmnp-v]{3}[A-Za-z](?![A-Za-z0-9])/g,
    gate: 'digit',
    accept: (match) => (codiceFiscaleValid(match[0]) ? matchEnd(match) : undefined),
  },
  {
    kind: 'cpf',
    // Receita Federal's "123.456.789-09", or the eleven digits alone.
    pattern: /(?<![\w.-])\d{3}(?:\.\d{3}\.\d{3}-|\d{6})\d{2}(?![\w-]|\.\d)/g,
    gate: 'digit',
    accept: (match) => (cpfValid(compact(match[0])) ? matchEnd(match) : undefined),
  },
  {
    kind: 'nif',
    pattern: /(?<![\w-])(PT ?)?([1235689]\d{8})(?![\w-])/g,
    gate: 'digit',
    accept(match, text) {
      const named = match[1] !== undefined || NIF_WORD.test(before(text, match.index, 20));
      return named && nifValid(group(match, 2)) ? matchEnd(match) : undefined;
    },
  },
];
