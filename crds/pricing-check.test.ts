import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePricing, PricingError, withPricingChecksum } from './pricing-check.ts';
import { pricingChecksum, type Price } from './pricing.ts';

const prices: Price[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0.15',
    output: '0.6',
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    effectiveFrom: '2026-06-01T00:00:00Z',
    input: '0.12',
    output: '0.5',
  },
];
const text = (checksum: string, list: Price[] = prices) => stringify({ checksum, prices: list });

describe('parsePricing', () => {
  it('accepts a file whose checksum is that of its prices, a later price of a model included', () => {
    expect(parsePricing(text(pricingChecksum(prices)), 'pricing.yaml').prices).toEqual(prices);
  });

  it('refuses a stale checksum, naming the file, the declared and the expected checksum', () => {
    const stale = pricingChecksum(prices.slice(0, 1));
    const expected = pricingChecksum(prices);
    expect(() => parsePricing(text(stale), 'pricing.yaml')).toThrow(
      `pricing.yaml: checksum ${stale} does not match the prices (expected ${expected}).`,
    );
  });

  it('refuses two prices for one provider, model and effective date', () => {
    const twice = [
      prices[0]!,
      { ...prices[0]!, input: '0.2', effectiveFrom: '2026-01-01T00:00:00.000Z' },
    ];
    expect(() => parsePricing(text(pricingChecksum(twice), twice), 'p.yaml')).toThrow(
      /^p\.yaml: two prices for provider openai, model gpt-4o-mini/,
    );
  });

  it.each([
    ['not YAML', 'prices: [unclosed', /not valid YAML/],
    [
      'a price as a number',
      text(pricingChecksum([]), [{ ...prices[0]!, input: 0.15 as unknown as string }]),
      /prices\.0\.input/,
    ],
    ['no checksum', stringify({ prices }), /checksum/],
  ])('refuses %s', (_what, body, message) => {
    expect(() => parsePricing(body, 'pricing.yaml')).toThrow(PricingError);
    expect(() => parsePricing(body, 'pricing.yaml')).toThrow(message);
  });
});

describe('withPricingChecksum', () => {
  it('rewrites the checksum line and keeps comments', () => {
    const file = `# Prices.\nchecksum: sha256:${'0'.repeat(64)}\nprices: []\n`;
    const sum = pricingChecksum([]);
    expect(withPricingChecksum(file, sum)).toBe(`# Prices.\nchecksum: ${sum}\nprices: []\n`);
    expect(parsePricing(withPricingChecksum(file, sum), 'x').prices).toEqual([]);
  });

  it('refuses a file without a checksum line', () => {
    expect(() => withPricingChecksum('prices: []\n', pricingChecksum([]))).toThrow(PricingError);
  });
});
