import { describe, expect, it } from 'vitest';
import { budget, NOW } from '../../test/fixtures.ts';
import {
  nextPeriodStart,
  periodStart,
  reconcileTenantBudget,
  withinBudgetPolicy,
} from './tenant-budget.ts';

describe('periods (UTC)', () => {
  // NOW is Wednesday 2026-03-18 10:20:30 UTC.
  it.each([
    ['daily', '2026-03-18T00:00:00.000Z', '2026-03-19T00:00:00.000Z'],
    ['weekly', '2026-03-16T00:00:00.000Z', '2026-03-23T00:00:00.000Z'],
    ['monthly', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
  ] as const)('%s starts at %s and ends at %s', (period, start, next) => {
    expect(periodStart(period, NOW).toISOString()).toBe(start);
    expect(nextPeriodStart(period, NOW).toISOString()).toBe(next);
  });

  it('starts an ISO week on Monday even on a Sunday', () => {
    expect(periodStart('weekly', new Date('2026-03-22T23:59:59Z')).toISOString()).toBe(
      '2026-03-16T00:00:00.000Z',
    );
  });

  it('rolls over December into January', () => {
    expect(nextPeriodStart('monthly', new Date('2026-12-31T12:00:00Z')).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });
});

describe('reconcileTenantBudget', () => {
  it('reports the period with nothing spent, and comes back when it rolls over', () => {
    const b = budget();
    const result = reconcileTenantBudget({
      budget: b,
      budgets: [b],
      renderedBudgets: new Map([['acme', b.spec]]),
      now: NOW,
    });
    expect(result.status).toMatchObject({
      periodStart: '2026-03-01T00:00:00Z',
      spentUSD: '0',
      spentTokens: 0,
      remainingUSD: '250.00',
    });
    expect(result.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Applied'],
      ['WithinBudget', 'True', 'WithinLimits'],
    ]);
    expect(result.requeueAfterMs).toBe(new Date('2026-04-01T00:00:00Z').getTime() - NOW.getTime());
  });

  it('gives a tenant to the oldest budget only', () => {
    const older = budget('older', undefined, '2026-01-01T00:00:00Z');
    const newer = budget('newer', undefined, '2026-02-01T00:00:00Z');
    const result = reconcileTenantBudget({
      budget: newer,
      budgets: [older, newer],
      renderedBudgets: undefined,
      now: NOW,
    });
    expect(result.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'TenantConflict',
    });
  });

  it('is RenderPending until budgets.yaml carries it; without a cost limit, no remainingUSD', () => {
    const b = budget('b', { limits: { tokens: 10 } });
    const result = reconcileTenantBudget({
      budget: b,
      budgets: [b],
      renderedBudgets: new Map(),
      now: NOW,
    });
    expect(result.status?.conditions?.[0]?.reason).toBe('RenderPending');
    expect(result.status).not.toHaveProperty('remainingUSD');
    expect(withinBudgetPolicy(b).message).toContain('No spend recorded');
  });

  it('desires nothing for a budget that is gone', () => {
    expect(
      reconcileTenantBudget({
        budget: undefined,
        budgets: [],
        renderedBudgets: undefined,
        now: NOW,
      }),
    ).toEqual({ desired: [] });
  });
});
