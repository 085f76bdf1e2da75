import type { CorpusCase } from './pii-corpus-types.ts';

// Values generated once (seeded, Python, see docs/safety.md) by implementations independent
// of ours of each issuer's published algorithm, then written here as literals.

// Spanish DNI: 8 digits and the mod-23 check letter (Ministerio del Interior, Real Decreto 1553/2005).
const DNI = [
  '18839953D',
  '32563510H',
  '03169705Y',
  '82287126A',
  '60013235W',
  '24730105E',
  '94214659N',
  '16185592D',
  '99266533M',
  '87432278D',
  '46391664C',
  '10691442F',
];

// Spanish NIE: X/Y/Z for 0/1/2, 7 digits, the DNI check letter (Orden INT/2058/2008).
const NIE = [
  'X4517531D',
  'X5359512Y',
  'Z3005394N',
  'Z7214387M',
  'Z0812693Q',
  'Z0357666K',
  'Z4428723D',
  'Y7071908C',
  'X3028809P',
  'X9778162B',
  'Z9501154C',
  'X5476649G',
];

// French NIR: sex, year, month, department, commune, order, key = 97 - n mod 97 (INSEE).
const NIR = [
  '233035132092311',
  '1 35 05 86 709 190 44',
  '268015494825887',
  '2 50 11 24 315 577 46',
  '138107757555790',
  '2 11 02 57 365 101 92',
  '2 07 04 66 245 411 69',
  '2 24 03 04 560 386 05',
  '2 45 11 25 455 038 95',
  '199119520767287',
  '124071684815222',
  '2 05 02 64 725 537 19',
];

// German Steuer-ID: 11 digits, one digit repeated in the first ten, ISO 7064 MOD 11,10 (BZSt, § 139b AO).
const STEUER_ID = [
  '38671354028',
  '34 798 204 164',
  '70452387191',
  '67 823 950 451',
  '67235119482',
  '81 245 708 690',
  '91262843708',
  '60 381 952 379',
  '12 908 527 645',
  '63293805710',
  '75 916 233 086',
  '58 271 684 933',
];

// Italian codice fiscale: 6 letters, year, month letter, day, municipality, check letter (DM 12/03/1974).
const CODICE_FISCALE = [
  'THTRHL58H04L426I',
  'LEXEBR77P10E827V',
  'VQWHME13H61A010C',
  'FOZKFP20P20I380T',
  'DPFFWC88P49R462A',
  'KWZSKH23T28T127Z',
  'LCAQRN80H31H877D',
  'ZNIBSK78P45M524D',
  'DAWLRC20M31O675V',
  'MNCLTA61L07T576W',
  'ZFJUDB59D11O243H',
  'FCADGI53S56J623T',
];

// Portuguese NIF: 9 digits, mod-11 over weights 9..2 (Autoridade Tributária).
const NIF = [
  '854541870',
  '223662143',
  '950789879',
  '203240073',
  '185313566',
  '224397613',
  '952421437',
  '855491469',
  '633322547',
  '213097940',
  '116100974',
  '976828324',
];

// Brazilian CPF: 9 digits and two mod-11 check digits (Receita Federal, IN RFB 1548/2015).
const CPF = [
  '540.521.087-01',
  '88853249595',
  '081.900.486-35',
  '56881517904',
  '63392140961',
  '65451455414',
  '455.468.217-01',
  '323.615.777-12',
  '71571744215',
  '897.847.996-00',
  '375.717.491-74',
  '050.746.036-76',
];

// UK NINO: two prefix letters (HMRC NIM39110 rules), six digits, A-D.
const NINO = [
  'JB400372B',
  'OJ 05 44 51 C',
  'CA090385D',
  'WG597937B',
  'YX 12 68 78 C',
  'PN198657A',
  'CJ561985B',
  'KE 60 50 17 B',
  'HL471500C',
  'XS 37 18 29 D',
  'OR 70 54 23 C',
  'KB308363C',
];

// US SSN: area 001-899 except 666, group 01-99, serial 0001-9999 (SSA, randomisation since 2011).
const SSN = [
  '641-20-9674',
  '682-17-6614',
  '358-68-4880',
  '543-66-1522',
  '613-61-2057',
  '671-69-7307',
  '219-38-0554',
  '163-65-0282',
  '114-74-8569',
  '612-95-9175',
  '601-30-4189',
  '095-97-0353',
];

const say: Record<string, (value: string) => string> = {
  dni: (v) => `Mi DNI es ${v}, por favor.`,
  nie: (v) => `NIE del solicitante: ${v}`,
  nir: (v) => `Numéro de sécurité sociale : ${v}.`,
  steuer_id: (v) => `Steuer-ID ${v} laut Bescheid`,
  codice_fiscale: (v) => `Codice fiscale: ${v}`,
  nif: (v) => `O meu NIF é ${v}.`,
  cpf: (v) => `CPF ${v} cadastrado`,
  nino: (v) => `NI number ${v} on the payslip`,
  ssn: (v) => `SSN: ${v}`,
};

const cases = (kind: CorpusCase['kind'], values: readonly string[], source: string) =>
  values.map((value) => ({ kind, value, text: (say[kind] ?? String)(value), source }));

export const ID_CASES: readonly CorpusCase[] = [
  ...cases('dni', [...DNI, '12345678Z'], 'Real Decreto 1553/2005; 12345678Z is the DNIe example'),
  ...cases('nie', [...NIE, 'X1234567L'], 'Orden INT/2058/2008'),
  ...cases('nir', [...NIR, '2 55 08 14 168 025 38'], 'INSEE; the last is the Wikipedia example'),
  ...cases('steuer_id', [...STEUER_ID, '86095742719'], 'BZSt; 86095742719 is its example'),
  ...cases('codice_fiscale', [...CODICE_FISCALE, 'RSSMRA85T10A562S'], 'DM 12/03/1974'),
  ...cases('nif', [...NIF, 'PT501964843'], 'Autoridade Tributária; PT prefix is the VAT form'),
  ...cases('cpf', [...CPF, '529.982.247-25'], 'Receita Federal'),
  ...cases('nino', [...NINO, 'AB 12 34 56 C'], 'HMRC NIM39110'),
  ...cases('ssn', [...SSN, '078-05-1120'], 'SSA; 078-05-1120 is the 1938 wallet-insert number'),
];
