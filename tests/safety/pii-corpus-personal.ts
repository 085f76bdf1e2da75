import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile';
import type { CorpusCase } from './pii-corpus-types.ts';

const each =
  (kind: CorpusCase['kind'], source: string, say: (value: string) => string) =>
  (value: string): CorpusCase => ({ kind, value, text: say(value), source });

/** RFC 5322 addresses, and RFC 6531 ones from UASG's EAI examples (UASG 004). */
const EMAILS = [
  'jane.doe@example.com',
  'john.smith+newsletter@example.org',
  'user_name@mail.sub.example.co.uk',
  'x@example.io',
  'o.reilly%ops@example.net',
  'first.last@xn--bcher-kva.example',
  '用户@例子.广告',
  'अजय@डाटा.भारत',
  'квіточка@пошта.укр',
  'θσερ@εχαμπλε.ψομ',
  'Dörte@Sörensen.example.com',
  'коля@пример.рф',
  'josé.garcía@correo.es',
];

/** Examples from the SWIFT IBAN registry, printed compact and in groups of four. */
const IBANS = [
  'DE89370400440532013000',
  'GB29NWBK60161331926819',
  'ES9121000418450200051332',
  'FR1420041010050500013M02606',
  'IT60X0542811101000000123456',
  'NL91ABNA0417164300',
  'BE68539007547034',
  'CH9300762011623852957',
  'AT611904300234573201',
  'PL61109010140000071219812874',
  'PT50000201231234567890154',
  'SE4550000000058398257466',
  'NO9386011117947',
  'DK5000400440116243',
  'FI2112345600000785',
  'IE29AIBK93115212345678',
];
const grouped = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');

/** Test card numbers that Stripe, PayPal and Adyen publish, one or more per brand. */
const CARDS = [
  '4242 4242 4242 4242',
  '4111111111111111',
  '4012 8888 8888 1881',
  '4000056655665556',
  '5555 5555 5555 4444',
  '5105105105105100',
  '2223003122003222',
  '5200 8282 8282 8210',
  '3782 822463 10005',
  '371449635398431',
  '6011 1111 1111 1117',
  '6011000990139424',
  '3056 9309 0259 04',
  '38520000023237',
  '3530111333300000',
  '3566-0020-2036-0505',
  '6200000000000005',
];

/** RFC 5737 (TEST-NET) and private IPv4, RFC 3849 documentation and link-local IPv6. */
const IPV4 = ['192.0.2.1', '198.51.100.23', '203.0.113.254', '10.0.0.1', '172.16.254.1', '8.8.8.8'];
const IPV6 = [
  '2001:db8::1',
  '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
  'fe80::1ff:fe23:4567:890a',
  '::ffff:192.0.2.128',
  '2001:db8:0:0:1:0:0:1',
  '2001:db8:85a3::8a2e:370:7334',
];

/**
 * Phones: libphonenumber's example mobile number for every region it knows, international
 * format; Spanish numbers in national formats (the default region); Ofcom's and NANPA's
 * published fictional-use ranges are left out as libphonenumber rightly rejects 555.
 */
const PHONES_INTERNATIONAL = getCountries().flatMap((country) => {
  const number = getExampleNumber(country, examples);
  return number === undefined ? [] : [number.formatInternational()];
});
const PHONES_NATIONAL = [
  '612 345 678',
  '91 123 45 67',
  '612-34-56-78',
  '0034 612 34 56 78',
  '934 56 78 90',
];

export const PERSONAL_CASES: readonly CorpusCase[] = [
  ...EMAILS.map(
    each('email', 'RFC 5322 / RFC 6531 (UASG 004)', (v) => `Escríbeme a ${v}, gracias.`),
  ),
  ...IBANS.map(each('iban', 'SWIFT IBAN registry', (v) => `Transfer to IBAN ${v} today`)),
  ...IBANS.map(grouped).map(
    each('iban', 'SWIFT IBAN registry, paper format', (v) => `IBAN: ${v}.`),
  ),
  ...CARDS.map(each('credit_card', 'Stripe/PayPal/Adyen test cards', (v) => `card ${v} exp 12/30`)),
  ...IPV4.map(each('ipv4', 'RFC 5737 / RFC 1918', (v) => `connection from ${v} refused`)),
  ...IPV6.map(each('ipv6', 'RFC 3849 / RFC 4291', (v) => `listening on [${v}]:443`)),
  ...PHONES_INTERNATIONAL.map(
    each('phone', 'libphonenumber example numbers', (v) => `Call me on ${v} tomorrow.`),
  ),
  ...PHONES_NATIONAL.map(each('phone', 'CNMC Spanish numbering plan', (v) => `Llámame al ${v}.`)),
];
