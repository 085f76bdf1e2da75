import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { sha256Hex } from './checksum.ts';
// The date-time format of effectiveFrom is registered there.
import './pricing-check.ts';
import { PricingFile, pricingChecksum, type Price } from './pricing.ts';

const prices: Price[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0.15',
    cachedInput: '0.075',
    output: '0.6',
  },
  {
    provider: 'local',
    model: 'tiny',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0',
    output: '0',
  },
];

describe('pricingChecksum', () => {
  it('is sha256: and the SHA-256 of the canonical JSON of the prices', () => {
    expect(pricingChecksum(prices)).toBe(`sha256:${sha256Hex(canonicalJson(prices))}`);
    expect(pricingChecksum(prices)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not depend on the order of keys', () => {
    const reordered = prices.map((p) => Object.fromEntries(Object.entries(p).reverse()) as Price);
    expect(pricingChecksum(reordered)).toBe(pricingChecksum(prices));
  });

  it.each([
    ['the input price', { input: '0.16' }],
    ['the output price', { output: '0.600001' }],
    ['the cached input price', { cachedInput: '0.08' }],
    ['the effective date', { effectiveFrom: '2026-02-01T00:00:00Z' }],
    ['the model', { model: 'gpt-4o' }],
  ])('changes when %s changes', (_what, change) => {
    const edited = [{ ...prices[0]!, ...change }, prices[1]!];
    expect(pricingChecksum(edited)).not.toBe(pricingChecksum(prices));
  });

  it('changes when a price is added, removed or the order changes', () => {
    expect(pricingChecksum(prices.slice(0, 1))).not.toBe(pricingChecksum(prices));
    expect(pricingChecksum([...prices].reverse())).not.toBe(pricingChecksum(prices));
  });
});

describe('PricingFile', () => {
  const file = { checksum: pricingChecksum(prices), prices };

  it('accepts prices as USD decimal strings', () => {
    expect(Value.Check(PricingFile, file)).toBe(true);
  });

  it.each([
    ['a number for a price', { ...prices[1]!, input: 0 }],
    ['a negative price', { ...prices[1]!, input: '-1' }],
    ['seven fractional digits', { ...prices[1]!, output: '0.0000001' }],
    ['an unknown field', { ...prices[1]!, currency: 'EUR' }],
    ['no effective date', { provider: 'local', model: 'tiny', input: '0', output: '0' }],
    ['an effective date that is not RFC 3339', { ...prices[1]!, effectiveFrom: '2026-01-01' }],
  ])('refuses %s', (_what, price) => {
    expect(Value.Check(PricingFile, { checksum: file.checksum, prices: [price] })).toBe(false);
  });

  it('refuses a checksum that is not sha256: and 64 hex digits', () => {
    expect(Value.Check(PricingFile, { ...file, checksum: 'abc' })).toBe(false);
  });
});
