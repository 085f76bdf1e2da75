import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPii, createStreamRedactor, policyFor, type PiiPolicies } from './pii.ts';

/** The stream redactor under a per-kind output policy (safety.piiOutput's object form). */
const SAMPLE = `Write to jane.doe@mail.example.com from 192.168.1.10 or 10.0.0.7.
IBAN ES91 2100 0418 4502 0005 1332, DNI 12345678Z; fin.`;
const POLICIES: PiiPolicies = { default: 'redact', kinds: { ipv4: 'off', dni: 'off' } };
const policy = (kind: Parameters<typeof policyFor>[1]) => policyFor(POLICIES, kind);

function streamed(chunks: readonly string[], policies = policy) {
  const redactor = createStreamRedactor({}, policies);
  const text = chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
  return { text, blocked: redactor.blocked, counts: redactor.counts };
}

describe('the stream redactor under a policy per kind', () => {
  const whole = checkPii(SAMPLE, POLICIES).text;

  it('redacts the redact kinds and leaves the off kinds, as whole-text checking does', () => {
    expect(whole).toContain('[REDACTED:email]');
    expect(whole).toContain('[REDACTED:iban]');
    expect(whole).toContain('192.168.1.10');
    expect(whole).toContain('12345678Z');
    expect(streamed([SAMPLE]).text).toBe(whole);
  });

  it('gives the same output for every split position, and counts only what it redacted', () => {
    for (let split = 0; split <= SAMPLE.length; split += 1) {
      const result = streamed([SAMPLE.slice(0, split), SAMPLE.slice(split)]);
      expect(result.text, `split at ${split}`).toBe(whole);
      expect(result.counts.email).toBe(1);
      expect(result.counts.ipv4).toBe(0);
    }
  });

  it('gives the same output for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: SAMPLE.length }), { maxLength: 12 }),
        (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const chunks = [0, ...points].map((from, index) => SAMPLE.slice(from, points[index]));
          expect(streamed(chunks).text).toBe(whole);
        },
      ),
    );
  });

  it('stops at a block kind: nothing of the text that holds it, nor anything after it', () => {
    const blocking = (kind: Parameters<typeof policyFor>[1]) =>
      kind === 'iban' ? 'block' : policy(kind);
    for (let split = 0; split <= SAMPLE.length; split += 7) {
      const result = streamed(
        [SAMPLE.slice(0, split), SAMPLE.slice(split), ' more text.'],
        blocking,
      );
      expect(result.blocked).toEqual(['iban']);
      expect(result.text).not.toContain('ES91');
      expect(result.text).not.toContain('2100 0418');
      expect(result.text).not.toContain('more text');
      expect(result.counts.iban).toBe(1);
    }
  });
});
