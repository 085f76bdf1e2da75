import { describe, expect, it } from 'vitest';
import type { Price } from '../../../crds/pricing.ts';
import { costOf, createPriceTable } from './pricing.ts';

const price = (
  effectiveFrom: string,
  input: string,
  output: string,
  cachedInput?: string,
): Price => ({
  provider: 'openai',
  model: 'gpt-x',
  effectiveFrom,
  input,
  output,
  ...(cachedInput === undefined ? {} : { cachedInput }),
});

describe('the price table', () => {
  const table = createPriceTable(
    [
      price('2026-01-01T00:00:00Z', '0.15', '0.60', '0.075'),
      price('2026-07-01T00:00:00Z', '0.10', '0.40'),
    ],
    'sha256:abc',
  );

  it('applies a price from its effective date, and the earlier one before it', () => {
    expect(table.priceOf('openai', 'gpt-x', Date.UTC(2026, 5, 30, 23, 59, 59))?.input).toBe(
      150_000_000n,
    );
    expect(table.priceOf('openai', 'gpt-x', Date.UTC(2026, 6, 1))?.input).toBe(100_000_000n);
  });

  it('has no price before the first one, nor for another model', () => {
    expect(table.priceOf('openai', 'gpt-x', Date.UTC(2025, 11, 31))).toBeUndefined();
    expect(table.priceOf('openai', 'gpt-y', Date.UTC(2026, 6, 1))).toBeUndefined();
  });

  it('carries the pricing file checksum with every price', () => {
    expect(table.priceOf('openai', 'gpt-x', Date.UTC(2026, 6, 1))?.checksum).toBe('sha256:abc');
  });

  it('charges cached input at its price, the input price when it has none', () => {
    const early = table.priceOf('openai', 'gpt-x', Date.UTC(2026, 1, 1))!;
    const late = table.priceOf('openai', 'gpt-x', Date.UTC(2026, 7, 1))!;
    // 1,000 input tokens of which 400 cached, 100 output tokens.
    const usage = { inputTokens: 1000, cachedTokens: 400, outputTokens: 100 };
    expect(costOf(usage, early)).toBe(600 * 150 + 400 * 75 + 100 * 600);
    expect(costOf(usage, late)).toBe(1000 * 100 + 100 * 400);
  });

  it('counts in integers and rounds a request up once, to the nano-USD', () => {
    const tiny = createPriceTable(
      [price('2026-01-01T00:00:00Z', '0.000001', '0.000003')],
      undefined,
    );
    const unit = tiny.priceOf('openai', 'gpt-x', Date.UTC(2026, 1, 1))!;
    expect(costOf({ inputTokens: 1, cachedTokens: 0, outputTokens: 1 }, unit)).toBe(1);
    expect(costOf({ inputTokens: 0, cachedTokens: 0, outputTokens: 0 }, unit)).toBe(0);
    const huge = createPriceTable(
      [price('2026-01-01T00:00:00Z', '999999.999999', '999999.999999')],
      undefined,
    );
    const dear = huge.priceOf('openai', 'gpt-x', Date.UTC(2026, 1, 1))!;
    expect(costOf({ inputTokens: 1000, cachedTokens: 0, outputTokens: 0 }, dear)).toBe(
      999_999_999_999,
    );
  });
});
