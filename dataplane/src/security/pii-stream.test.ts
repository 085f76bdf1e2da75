import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PII_SPAN } from './pii-detectors.ts';
import { createStreamRedactor, redactPii } from './pii.ts';

const SAMPLE = `Contact jane.doe+news@mail.example.co.uk or +34 612 345 678, also 612-34-56-78.
Card 4111 1111 1111 1111, Amex 3782-822463-10005, bad 4111 1111 1111 1112.
IBAN ES91 2100 0418 4502 0005 1332 and GB29 NWBK 6016 1331 9268 19 ok.
SSN 123-45-6789. DNI 12345678Z, NIE X1234567L. IPs 192.168.1.10, 2001:db8::8a2e:370:7334.
Señas: año 2024, ☎ +1 (555) 123-4567; fin.`;

function streamed(chunks: readonly string[]): string {
  const redactor = createStreamRedactor();
  return chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
}

describe('the stream redactor', () => {
  const whole = redactPii(SAMPLE).text;

  it('gives the same output as whole-text redaction for every split position', () => {
    for (let split = 0; split <= SAMPLE.length; split += 1) {
      expect(streamed([SAMPLE.slice(0, split), SAMPLE.slice(split)]), `split at ${split}`).toBe(
        whole,
      );
    }
  });

  it('gives the same output fed one character at a time', () => {
    expect(streamed(Array.from(SAMPLE))).toBe(whole);
  });

  it('gives the same output for any chunking of any mix of PII and prose', () => {
    const fragment = fc.constantFrom(
      '4111 1111 1111 1111',
      '4111',
      ' 1111',
      'ES91 2100 0418 4502 0005 1332',
      'GB29 NWBK',
      'a@b.io',
      'jane.doe',
      '@',
      '.example.com',
      '+34 612 345 678',
      '612',
      ' 345',
      '12345678Z',
      'X1234567L',
      '123-45-6789',
      '192.168.',
      '1.10',
      '2001:db8::',
      '8a2e:370:7334',
      ' ',
      '  ',
      '-',
      '.',
      ',',
      '\n',
      'ñ',
      'word',
      'a'.repeat(400),
      '7'.repeat(30),
      'AB 12 34 56 C',
      'AB',
      ' 12 34 56 C',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
      '-----BEGIN ',
      '-----BEGIN of a section\n',
      'PRIVATE KEY-----',
      '-----END PRIVATE KEY-----',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'eyJ',
      'api_key=',
      'token: ',
      'Zx81kQp2Lm93Hs7Tq4Wv',
      'josé@exämple.es',
      '用户@例子.广告',
      'sk-proj-',
      'AKIAIOSFODNN7EXAMPLE',
    );
    const text = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(''));
    const chunking = fc.tuple(text, fc.array(fc.nat(), { maxLength: 8 })).map(([whole, cuts]) => {
      const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort(
        (a, b) => a - b,
      );
      const chunks = points.map((point, index) => whole.slice(points[index - 1] ?? 0, point));
      return { whole, chunks: [...chunks, whole.slice(points.at(-1) ?? 0)] };
    });
    fc.assert(
      fc.property(chunking, ({ whole, chunks }) => {
        expect(streamed(chunks)).toBe(redactPii(whole).text);
      }),
      { numRuns: 600 },
    );
  });

  it('holds back only the word in progress in prose', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('Hello wor')).toBe('Hello ');
    expect(redactor.push('ld, and more')).toBe('world, and ');
    expect(redactor.flush()).toBe('more');
  });

  it('holds back a card number until it is complete, then redacts it', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('pay with 4111 1111 ')).toBe('pay with ');
    // The space after the comma is still near digits, so it waits for the next boundary.
    expect(redactor.push('1111 1111, thanks')).toBe('[REDACTED:credit_card],');
    expect(redactor.flush()).toBe(' thanks');
    expect(redactor.counts.credit_card).toBe(1);
  });

  it('bounds the hold-back on a long run with no boundary', () => {
    const redactor = createStreamRedactor();
    const long = 'x'.repeat(MAX_PII_SPAN + 5000);
    const emitted = redactor.push(long);
    expect(emitted.length).toBeGreaterThanOrEqual(long.length - MAX_PII_SPAN);
    expect(emitted + redactor.flush()).toBe(long);
  });

  it('moves a forced cut back before a match that would straddle it', () => {
    // No boundary anywhere, so the cut is forced MAX_PII_SPAN characters from the end: inside
    // the email.
    const tail = 'x'.repeat(MAX_PII_SPAN - 10);
    const text = `${'x'.repeat(1000)}(jane@example.com._${tail}`;
    const redactor = createStreamRedactor();
    expect(redactor.push(text)).toBe(text.slice(0, 1001));
    expect(redactor.flush()).toBe(`[REDACTED:email]._${tail}`);
  });

  it('holds back an open PEM private-key block across lines until its footer', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('key:\n-----BEGIN PRIVATE KEY-----\n')).toBe('key:\n');
    expect(redactor.push('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n')).toBe('');
    expect(redactor.push('-----END PRIVATE KEY-----\nok\n')).toBe('[REDACTED:private_key]\nok\n');
    expect(redactor.counts.private_key).toBe(1);
  });

  it('lets a certificate through line by line: only private keys are held', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('-----BEGIN CERTIFICATE-----\nMIIB\n')).toBe(
      '-----BEGIN CERTIFICATE-----\nMIIB\n',
    );
  });

  it('does not cut a NINO after its prefix letters', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('nino: AB ')).toBe('nino: ');
    expect(redactor.push('12 34 56 C.\n')).toBe('[REDACTED:nino].\n');
  });

  it('stays fast on PEM headers without footers, fed 8 characters at a time', () => {
    const text = '-----BEGIN PRIVATE KEY-----\n'.repeat(400);
    const start = performance.now();
    const chunks = Array.from({ length: Math.ceil(text.length / 8) }, (_, i) =>
      text.slice(i * 8, i * 8 + 8),
    );
    expect(streamed(chunks)).toBe(redactPii(text).text);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('starts afresh after a flush', () => {
    const redactor = createStreamRedactor();
    expect(redactor.push('card 4111')).toBe('card ');
    expect(redactor.flush()).toBe('4111');
    expect(redactor.push('')).toBe('');
    expect(redactor.push('4111 1111 1111 1111\n')).toBe('[REDACTED:credit_card]\n');
  });
});
