import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { checkPii, findPii, piiBlocked, redactPii, type PiiKind } from './pii.ts';

/** [what, text, the kind found, the exact value found] */
const found: [string, string, PiiKind, string][] = [
  [
    'an email',
    'write to jane.doe+news@mail.example.co.uk.',
    'email',
    'jane.doe+news@mail.example.co.uk',
  ],
  ['an email with digits', 'id 612345678@sms.example.com', 'email', '612345678@sms.example.com'],
  ['a Spanish mobile, grouped by threes', 'llama al 612 345 678', 'phone', '612 345 678'],
  ['a Spanish mobile, grouped by pairs', 'móvil 612-34-56-78.', 'phone', '612-34-56-78'],
  ['a Madrid landline', 'tel. 91 123 45 67', 'phone', '91 123 45 67'],
  ['a Spanish number after 0034', 'ring 0034 712345678', 'phone', '0034 712345678'],
  ['an international number', 'call +34 612 345 678 now', 'phone', '+34 612 345 678'],
  ['a US number with an area code', 'US +1 (201) 555-0123', 'phone', '+1 (201) 555-0123'],
  ['a UK number with a trunk zero', 'UK +44 (0)20 7946 0958', 'phone', '+44 (0)20 7946 0958'],
  ['a Visa number', 'card 4111 1111 1111 1111 ok', 'credit_card', '4111 1111 1111 1111'],
  ['an Amex number', 'amex 3782-822463-10005', 'credit_card', '3782-822463-10005'],
  [
    'a Mastercard number without separators',
    'mc 5555555555554444',
    'credit_card',
    '5555555555554444',
  ],
  [
    'a Spanish IBAN',
    'IBAN ES91 2100 0418 4502 0005 1332 and more',
    'iban',
    'ES91 2100 0418 4502 0005 1332',
  ],
  [
    'a British IBAN with letters',
    'GB29 NWBK 6016 1331 9268 19',
    'iban',
    'GB29 NWBK 6016 1331 9268 19',
  ],
  ['a compact German IBAN', 'DE89370400440532013000.', 'iban', 'DE89370400440532013000'],
  ['a US SSN', 'SSN 123-45-6789', 'ssn', '123-45-6789'],
  ['a DNI', 'DNI 12345678Z', 'dni', '12345678Z'],
  ['a DNI with a dash and lower case', 'dni 12345678-z', 'dni', '12345678-z'],
  ['a NIE', 'NIE X1234567L', 'nie', 'X1234567L'],
  ['a NIE starting with Y', 'NIE Y-1234567-X', 'nie', 'Y-1234567-X'],
  ['an IPv4 address', 'from 192.168.1.10:8080', 'ipv4', '192.168.1.10'],
  ['an IPv6 address', 'from 2001:db8::8a2e:370:7334.', 'ipv6', '2001:db8::8a2e:370:7334'],
  ['an IPv4-mapped IPv6 address', 'peer ::ffff:192.0.2.1', 'ipv6', '::ffff:192.0.2.1'],
  ['a link-local IPv6 address', 'fe80::1ff:fe23:4567:890a', 'ipv6', 'fe80::1ff:fe23:4567:890a'],
];

/** Texts that look like personal data and are not. */
const notFound: [string, string][] = [
  ['a card number failing Luhn', '4111 1111 1111 1112'],
  ['a Luhn-valid number outside issuer ranges', '7992739871300000'],
  ['an IBAN with a wrong check', 'ES00 2100 0418 4502 0005 1332'],
  ['an IBAN of the wrong length', 'ES91 2100 0418 4502 0005 133'],
  ['a DNI with a wrong letter', '12345678A'],
  ['a NIE with a wrong letter', 'X1234567A'],
  ['SSNs in forbidden ranges', '000-12-3456 123-00-4567 123-45-0000 912-34-5678'],
  ['loopback and C++ scopes', '::1 std::vector a::b'],
  ['a time of day', '10:30:00'],
  ['a MAC address', '00:1a:2b:3c:4d:5e'],
  ['a version string', 'v1.2.3.4 and 1.2.3.4.5'],
  ['an amount with thousand dots', '987.654.321 €'],
  ['a number too short for a phone', '+34 6123'],
  ['a number in no Spanish range, without a prefix', '412 345 678'],
  ['a US number in the fictional 555 area, which no one is assigned', '+1 (555) 123-4567'],
  ['a ten-digit order number', 'order 6123456789'],
  ['an at sign without a domain', 'meet @ 5, user@localhost'],
  ['plain prose', 'Please summarise the previous email.'],
];

describe('PII detection', () => {
  it.each(found)('finds %s', (_, text, kind, value) => {
    const matches = findPii(text);
    expect(matches.map((match) => [match.kind, text.slice(match.start, match.end)])).toEqual([
      [kind, value],
    ]);
  });

  it.each(notFound)('does not flag %s', (_, text) => {
    expect(findPii(text)).toEqual([]);
  });

  it('prefers the validated kind when two detectors overlap', () => {
    // 13 digits that are also a valid card: not a phone number inside a card.
    expect(findPii('4222222222222').map((match) => match.kind)).toEqual(['credit_card']);
  });

  it('returns matches in text order', () => {
    const text = 'ip 10.0.0.1 mail a@b.io card 4111111111111111';
    expect(findPii(text).map((match) => match.kind)).toEqual(['ipv4', 'email', 'credit_card']);
  });
});

describe('PII redaction', () => {
  it('replaces each match by its kind and counts them', () => {
    const { text, counts } = redactPii('Mail a@b.io or c@d.io, card 4111 1111 1111 1111.');
    expect(text).toBe('Mail [REDACTED:email] or [REDACTED:email], card [REDACTED:credit_card].');
    expect(counts).toMatchObject({ email: 2, credit_card: 1, phone: 0 });
  });

  it('returns the same text and zero counts when there is nothing to redact', () => {
    const text = 'Nothing to see here.';
    const result = redactPii(text);
    expect(result.text).toBe(text);
    expect(Object.values(result.counts).every((count) => count === 0)).toBe(true);
  });
});

describe('the PII policy', () => {
  const text = 'Mail a@b.io, DNI 12345678Z.';

  it('leaves text alone and counts nothing when off', () => {
    expect(checkPii(text, 'off')).toEqual({ text, counts: {}, blocked: [] });
  });

  it('redacts under redact and counts each kind', () => {
    expect(checkPii(text, 'redact')).toEqual({
      text: 'Mail [REDACTED:email], DNI [REDACTED:dni].',
      counts: { email: 1, dni: 1 },
      blocked: [],
    });
  });

  it('lets clean text through under block', () => {
    expect(checkPii('All clear.', 'block')).toEqual({
      text: 'All clear.',
      counts: {},
      blocked: [],
    });
  });

  it('reports the kinds found under block, in text order, with the text unchanged', () => {
    expect(checkPii(text, 'block')).toEqual({
      text,
      counts: { email: 1, dni: 1 },
      blocked: ['email', 'dni'],
    });
  });

  it('refuses blocked kinds naming the kinds and never the values', () => {
    const error = piiBlocked(['email', 'dni']);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('CONTENT_BLOCKED');
    expect(error.details).toEqual({ reason: 'pii', kinds: ['email', 'dni'] });
    expect(error.message).toBe(
      'Content contains personal data (email, dni); the PII policy blocks it.',
    );
  });
});

describe('PII detection on hostile input', () => {
  it.each([
    ['colons', ':'.repeat(100_000)],
    ['hex and colons', 'a:'.repeat(50_000)],
    ['at signs after a long word', `${'a'.repeat(50_000)}${'@'.repeat(50_000)}`],
    ['IBAN-like groups', 'ES91 '.repeat(20_000)],
    ['digits and spaces', '1 '.repeat(50_000)],
    ['PEM headers without footers', '-----BEGIN PRIVATE KEY-----\n'.repeat(3_600)],
    ['key-ish words and values', 'token: aB3dE5fG7hI9jK1lM2 '.repeat(4_000)],
  ])('stays linear on 100 KB of %s', (_, text) => {
    const start = performance.now();
    findPii(text);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
