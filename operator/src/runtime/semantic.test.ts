import { describe, expect, it } from 'vitest';
import { covers, isZero } from './semantic.ts';

describe('covers', () => {
  it.each([
    ['an equal scalar', 1, 1, true],
    ['a different scalar', 1, 2, false],
    ['extra live fields (server defaults)', { a: 1, b: 2 }, { a: 1 }, true],
    ['a missing field', { b: 2 }, { a: 1 }, false],
    [
      'a zero value the server omits',
      { a: 1 },
      { a: 1, hostNetwork: false, minReadySeconds: 0, externalIPs: [], data: {} },
      true,
    ],
    ['a list of another length', { l: [1, 2, 3] }, { l: [1, 2] }, false],
    ['a list in another order', { l: [2, 1] }, { l: [1, 2] }, false],
    ['objects inside lists', { l: [{ a: 1, x: 0 }] }, { l: [{ a: 1 }] }, true],
    [
      'a quantity the server rewrote',
      { resources: { requests: { memory: '1536Mi', cpu: '500m' } } },
      { resources: { requests: { memory: '1.5Gi', cpu: '0.5' } } },
      true,
    ],
    [
      'a quantity that differs',
      { resources: { limits: { memory: '1Gi' } } },
      { resources: { limits: { memory: '2Gi' } } },
      false,
    ],
    ['quantity-like strings outside resources', { env: '1024Mi' }, { env: '1Gi' }, false],
    ['a scalar where an object is desired', { a: 1 }, { a: { b: 1 } }, false],
    ['an object where a list is desired', { a: {} }, { a: [1] }, false],
    ['a null live value and a non-zero desired one', { a: null }, { a: 'x' }, false],
  ])('%s → %s', (_title, live, desired, expected) => {
    expect(covers(live, desired)).toBe(expected);
  });

  it('treats nested zero objects as zero', () => {
    expect(isZero({ a: { b: [] }, c: '' })).toBe(true);
    expect(isZero({ a: { b: [1] } })).toBe(false);
  });
});
