import { describe, expect, it } from 'vitest';
import {
  NANO_USD_PER_USD,
  nanoToUsd,
  periodAt,
  spendKey,
  usdToNano,
  type Period,
} from './budget-period.ts';

const at = (iso: string): number => new Date(iso).getTime();
const window = (period: Period, iso: string) => {
  const w = periodAt(period, at(iso));
  return { id: w.id, start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() };
};

describe('periodAt (UTC)', () => {
  it.each([
    // period, now, id, start, end
    [
      'daily',
      '2026-03-18T10:20:30Z',
      '2026-03-18',
      '2026-03-18T00:00:00.000Z',
      '2026-03-19T00:00:00.000Z',
    ],
    [
      'daily',
      '2026-03-18T00:00:00Z',
      '2026-03-18',
      '2026-03-18T00:00:00.000Z',
      '2026-03-19T00:00:00.000Z',
    ],
    [
      'daily',
      '2026-03-18T23:59:59.999Z',
      '2026-03-18',
      '2026-03-18T00:00:00.000Z',
      '2026-03-19T00:00:00.000Z',
    ],
    [
      'daily',
      '2028-02-29T12:00:00Z',
      '2028-02-29',
      '2028-02-29T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ],
    [
      'daily',
      '2026-12-31T23:59:59Z',
      '2026-12-31',
      '2026-12-31T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ],
    [
      'monthly',
      '2026-01-31T23:59:59.999Z',
      '2026-01',
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
    ],
    [
      'monthly',
      '2026-02-01T00:00:00Z',
      '2026-02',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ],
    [
      'monthly',
      '2028-02-29T23:00:00Z',
      '2028-02',
      '2028-02-01T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ],
    [
      'monthly',
      '2026-04-30T12:00:00Z',
      '2026-04',
      '2026-04-01T00:00:00.000Z',
      '2026-05-01T00:00:00.000Z',
    ],
    [
      'monthly',
      '2026-12-31T23:59:59Z',
      '2026-12',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ],
    // ISO weeks start on Monday and belong to the year of their Thursday.
    [
      'weekly',
      '2026-03-18T10:20:30Z',
      '2026-W12',
      '2026-03-16T00:00:00.000Z',
      '2026-03-23T00:00:00.000Z',
    ],
    [
      'weekly',
      '2026-03-22T23:59:59Z',
      '2026-W12',
      '2026-03-16T00:00:00.000Z',
      '2026-03-23T00:00:00.000Z',
    ],
    [
      'weekly',
      '2026-03-23T00:00:00Z',
      '2026-W13',
      '2026-03-23T00:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ],
    [
      'weekly',
      '2026-01-01T00:00:00Z',
      '2026-W01',
      '2025-12-29T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
    ],
    [
      'weekly',
      '2025-12-29T00:00:00Z',
      '2026-W01',
      '2025-12-29T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
    ],
    [
      'weekly',
      '2026-12-31T12:00:00Z',
      '2026-W53',
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
    ],
    [
      'weekly',
      '2027-01-01T00:00:00Z',
      '2026-W53',
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
    ],
    [
      'weekly',
      '2027-01-03T23:59:59.999Z',
      '2026-W53',
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
    ],
    [
      'weekly',
      '2027-01-04T00:00:00Z',
      '2027-W01',
      '2027-01-04T00:00:00.000Z',
      '2027-01-11T00:00:00.000Z',
    ],
    [
      'weekly',
      '2028-02-29T12:00:00Z',
      '2028-W09',
      '2028-02-28T00:00:00.000Z',
      '2028-03-06T00:00:00.000Z',
    ],
    [
      'weekly',
      '2020-12-31T12:00:00Z',
      '2020-W53',
      '2020-12-28T00:00:00.000Z',
      '2021-01-04T00:00:00.000Z',
    ],
    [
      'weekly',
      '2021-12-31T12:00:00Z',
      '2021-W52',
      '2021-12-27T00:00:00.000Z',
      '2022-01-03T00:00:00.000Z',
    ],
  ] as const)('%s at %s is %s, from %s to %s', (period, now, id, start, end) => {
    expect(window(period, now)).toEqual({ id, start, end });
  });

  it.each(['daily', 'weekly', 'monthly'] as const)(
    'a %s period ends where the next one starts',
    (period) => {
      const first = periodAt(period, at('2026-12-30T08:00:00Z'));
      const next = periodAt(period, first.end);
      expect(next.start).toBe(first.end);
      expect(next.id).not.toBe(first.id);
      expect(periodAt(period, first.end - 1).id).toBe(first.id);
    },
  );
});

describe('spendKey', () => {
  it('names the tenant in braces (one cluster slot) and the period by its id', () => {
    const w = periodAt('monthly', at('2026-03-18T10:00:00Z'));
    expect(spendKey('', 'acme', w)).toBe('budget:{acme}:spend:2026-03');
    expect(spendKey('prod:', 'acme', w)).toBe('prod:budget:{acme}:spend:2026-03');
  });
});

describe('usdToNano', () => {
  it.each([
    ['0', 0],
    ['1', NANO_USD_PER_USD],
    ['25.50', 25_500_000_000],
    ['0.000001', 1000],
    ['0.15', 150_000_000],
    ['1234567.123456', 1_234_567_123_456_000],
    [25, 25_000_000_000],
    [0.6, 600_000_000],
  ] as const)('%s USD is %d nano-USD exactly', (usd, nano) => {
    expect(usdToNano(usd)).toBe(nano);
  });

  it('refuses an amount that nano-USD cannot hold exactly', () => {
    expect(() => usdToNano('9007199254740993')).toThrow(RangeError);
  });
});

describe('nanoToUsd', () => {
  it.each([
    [0, '0'],
    [NANO_USD_PER_USD, '1'],
    [25_500_000_000, '25.5'],
    [1000, '0.000001'],
    [150_000_000, '0.15'],
  ] as const)('%d nano-USD is %s USD exactly', (nano, usd) => {
    expect(nanoToUsd(nano)).toBe(usd);
  });

  it.each([
    [1, '0.000001'],
    [999, '0.000001'],
    [1001, '0.000002'],
    [1_999_999_999, '2'],
    [1_000_000_001, '1.000001'],
  ] as const)('%d nano-USD rounds up to %s USD', (nano, usd) => {
    expect(nanoToUsd(nano)).toBe(usd);
  });

  it('round-trips every USD decimal with 6 fractional digits', () => {
    for (const usd of ['0.000001', '3.141592', '250', '19.99', '1000000.000001']) {
      expect(nanoToUsd(usdToNano(usd))).toBe(
        usd.replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m)),
      );
    }
  });
});

describe('a USD amount that is not a decimal of at most six fractional digits', () => {
  it.each([['-1.5'], ['1.1234567891'], [''], ['1e3'], [1.5e-7]])('is refused: %s', (amount) => {
    expect(() => usdToNano(amount)).toThrow(RangeError);
  });
});
