import { describe, expect, it } from 'vitest';
import type { TenantBudget, TenantBudgetStatus } from '../../../crds/tenant-budget.ts';
import { budget, NOW } from '../../test/fixtures.ts';
import {
  reconcileTenantBudget,
  type SpendReading,
  type TenantBudgetObserved,
} from './tenant-budget.ts';

// NOW is Wednesday 2026-03-18 10:20:30 UTC; the sample budget allows 250 USD and 50 million
// tokens a month, with alerts at 50, 80 and 100 %.
const USD = 1_000_000_000;
const MARCH = '2026-03-01T00:00:00Z';
const APRIL_MS = new Date('2026-04-01T00:00:00Z').getTime();
const REFRESH_MS = 30_000;

const spent = (usd: number, tokens = 0): SpendReading => ({
  known: true,
  cost: Math.round(usd * USD),
  tokens,
});

/** The sample budget, rendered, as the status last written showed it. */
function observed(
  spend: SpendReading,
  options: {
    status?: TenantBudgetStatus | undefined;
    spec?: object;
    now?: Date;
    refreshMs?: number | undefined;
  } = {},
): TenantBudgetObserved {
  const b: TenantBudget = {
    ...budget('acme', options.spec),
    ...(options.status === undefined ? {} : { status: options.status }),
  };
  return {
    budget: b,
    budgets: [b],
    renderedBudgets: new Map([['acme', b.spec]]),
    spend,
    refreshMs: 'refreshMs' in options ? options.refreshMs : REFRESH_MS,
    now: options.now ?? NOW,
  };
}

const conditions = (status: TenantBudgetStatus | undefined) =>
  status?.conditions?.map((c) => [c.type, c.status, c.reason]);
const within = (status: TenantBudgetStatus | undefined) =>
  status?.conditions?.find((c) => c.type === 'WithinBudget');
const alerts = (o: TenantBudgetObserved) =>
  (reconcileTenantBudget(o).events ?? []).map((e) => e.note);

describe('reconcileTenantBudget: spend against the limits', () => {
  it.each([
    // spend, spentUSD, remainingUSD, WithinBudget, reason
    [spent(0), '0', '250', 'True', 'WithinLimits'],
    [spent(100, 1_000_000), '100', '150', 'True', 'WithinLimits'],
    [spent(249.999999, 49_999_999), '249.999999', '0.000001', 'True', 'WithinLimits'],
    [spent(250, 10), '250', '0', 'False', 'CostLimitReached'],
    [spent(300, 10), '300', '0', 'False', 'CostLimitReached'],
    [spent(1, 50_000_000), '1', '249', 'False', 'TokenLimitReached'],
  ] as const)(
    'spend %o shows %s spent, %s left, WithinBudget %s (%s)',
    (spend, spentUSD, remainingUSD, status, reason) => {
      const result = reconcileTenantBudget(observed(spend));
      expect(result.status).toMatchObject({
        periodStart: MARCH,
        spentUSD,
        spentTokens: spend.known ? spend.tokens : undefined,
        remainingUSD,
      });
      expect(within(result.status)).toMatchObject({ status, reason });
    },
  );

  it('says what was spent of which limit', () => {
    expect(within(reconcileTenantBudget(observed(spent(100, 2000))).status)?.message).toBe(
      'Spent 100 USD of 250 USD and 2000 tokens of 50000000 tokens this period.',
    );
    expect(within(reconcileTenantBudget(observed(spent(250))).status)?.message).toBe(
      'Spent 250 USD of 250 USD this period: the cost limit is reached.',
    );
  });

  it('rounds spend up and what is left down to the micro-dollar', () => {
    const status = reconcileTenantBudget(observed({ known: true, cost: 1, tokens: 0 })).status;
    expect(status).toMatchObject({ spentUSD: '0.000001', remainingUSD: '249.999999' });
  });

  it('without a cost limit: no remainingUSD, and tokens alone decide', () => {
    const spec = { limits: { tokens: 1000 } };
    const below = reconcileTenantBudget(observed(spent(5, 999), { spec })).status;
    expect(below).not.toHaveProperty('remainingUSD');
    expect(below).toMatchObject({ spentUSD: '5', spentTokens: 999 });
    expect(within(below)?.status).toBe('True');
    const at = reconcileTenantBudget(observed(spent(5, 1000), { spec })).status;
    expect(within(at)).toMatchObject({ status: 'False', reason: 'TokenLimitReached' });
  });

  it('with only rate limits there is nothing to reach', () => {
    const spec = { limits: { requestsPerMinute: 10 } };
    const result = reconcileTenantBudget(observed(spent(5, 10), { spec }));
    expect(within(result.status)).toMatchObject({ status: 'True', reason: 'WithinLimits' });
    expect(within(result.status)?.message).toContain('no cost or token limit');
    expect(result.gauges).toEqual([]);
  });

  it('a limit of 0 is reached from the start', () => {
    const spec = { limits: { costUSD: 0 } };
    const result = reconcileTenantBudget(observed(spent(0), { spec }));
    expect(within(result.status)).toMatchObject({ status: 'False', reason: 'CostLimitReached' });
    expect(result.gauges?.[0]?.value).toBe(1);
  });

  it('reports the used ratio of each limit as a gauge sample', () => {
    expect(reconcileTenantBudget(observed(spent(100, 5_000_000))).gauges).toEqual([
      {
        gauge: 'budgetUsedRatio',
        labels: { namespace: 'team', tenant: 'acme', limit: 'cost' },
        value: 0.4,
      },
      {
        gauge: 'budgetUsedRatio',
        labels: { namespace: 'team', tenant: 'acme', limit: 'tokens' },
        value: 0.1,
      },
    ]);
  });

  it('says Ready: the budget is in the contract the gateway enforces', () => {
    const result = reconcileTenantBudget(observed(spent(0)));
    expect(conditions(result.status)).toEqual([
      ['Ready', 'True', 'Applied'],
      ['WithinBudget', 'True', 'WithinLimits'],
    ]);
    expect(result.status?.conditions?.[0]?.message).toBe(
      'The budget of tenant acme is in the config contract the gateway enforces.',
    );
  });
});

describe('reconcileTenantBudget: spend that is unknown', () => {
  const noRedis: SpendReading = {
    known: false,
    message: 'The operator reads no spend: INFERENCE_BUDGET_REDIS_URL is unset.',
  };

  it('without Redis shows no spend, WithinBudget Unknown, and waits for the period to end', () => {
    const result = reconcileTenantBudget(observed(noRedis, { refreshMs: undefined }));
    expect(result.status).toEqual(expect.objectContaining({ periodStart: MARCH }));
    for (const field of ['spentUSD', 'spentTokens', 'remainingUSD'])
      expect(result.status).not.toHaveProperty(field);
    expect(within(result.status)).toMatchObject({
      status: 'Unknown',
      reason: 'SpendUnknown',
      message: noRedis.message,
    });
    expect(result.requeueAfterMs).toBe(APRIL_MS - NOW.getTime());
    expect(result.events).toBeUndefined();
    expect(result.gauges).toBeUndefined();
  });

  it('with Redis unreachable, says why and tries again after the refresh interval', () => {
    const down: SpendReading = { known: false, message: 'Spend could not be read: ECONNREFUSED' };
    const result = reconcileTenantBudget(observed(down));
    expect(within(result.status)).toMatchObject({ status: 'Unknown', reason: 'SpendUnknown' });
    expect(within(result.status)?.message).toContain('ECONNREFUSED');
    expect(result.requeueAfterMs).toBe(REFRESH_MS);
  });
});

describe('reconcileTenantBudget: alert thresholds', () => {
  /** The status a pass wrote, fed to the next pass as the object's status. */
  const after = (o: TenantBudgetObserved) => reconcileTenantBudget(o).status;

  it('announces every threshold reached on the first reading of a period, each with its limit', () => {
    expect(alerts(observed(spent(210, 26_000_000)))).toEqual([
      'Tenant acme used 50 % of its cost limit this period: 210 USD of 250 USD.',
      'Tenant acme used 80 % of its cost limit this period: 210 USD of 250 USD.',
      'Tenant acme used 50 % of its tokens limit this period: 26000000 tokens of 50000000 tokens.',
    ]);
    const events = reconcileTenantBudget(observed(spent(210))).events ?? [];
    expect(events.every((e) => e.type === 'Warning' && e.reason === 'BudgetThresholdCrossed')).toBe(
      true,
    );
  });

  it('announces a threshold once: only the newly crossed one, and nothing when spend holds', () => {
    const first = after(observed(spent(130)));
    expect(alerts(observed(spent(130), { status: first }))).toEqual([]);
    expect(alerts(observed(spent(205), { status: first }))).toEqual([
      'Tenant acme used 80 % of its cost limit this period: 205 USD of 250 USD.',
    ]);
    const second = after(observed(spent(205), { status: first }));
    expect(alerts(observed(spent(249), { status: second }))).toEqual([]);
    expect(alerts(observed(spent(250), { status: second }))).toEqual([
      'Tenant acme used 100 % of its cost limit this period: 250 USD of 250 USD.',
    ]);
  });

  it('honours the budget’s own thresholds', () => {
    const spec = { alertThresholds: [10, 90] };
    expect(alerts(observed(spent(30), { spec }))).toEqual([
      'Tenant acme used 10 % of its cost limit this period: 30 USD of 250 USD.',
    ]);
  });

  it('starts over when the period rolls over (injected clock)', () => {
    const february = new Date('2026-02-27T23:00:00Z');
    const lastMonth = after(observed(spent(240), { now: february }));
    expect(lastMonth?.periodStart).toBe('2026-02-01T00:00:00Z');
    // March: the new period's hash is nearly empty; then the tenant spends again.
    const march = observed(spent(1), { status: lastMonth, now: new Date('2026-03-01T00:00:05Z') });
    expect(alerts(march)).toEqual([]);
    expect(reconcileTenantBudget(march).status).toMatchObject({
      periodStart: MARCH,
      spentUSD: '1',
    });
    const marchStatus = after(march);
    expect(alerts(observed(spent(130), { status: marchStatus }))).toEqual([
      'Tenant acme used 50 % of its cost limit this period: 130 USD of 250 USD.',
    ]);
  });

  it('comes back after the refresh interval, or at the end of the period if that is sooner', () => {
    expect(reconcileTenantBudget(observed(spent(1))).requeueAfterMs).toBe(REFRESH_MS);
    const nearEnd = new Date(APRIL_MS - 10_000);
    expect(reconcileTenantBudget(observed(spent(1), { now: nearEnd })).requeueAfterMs).toBe(10_000);
  });
});

describe('reconcileTenantBudget: tenants and rendering', () => {
  it('gives a tenant to the oldest budget only', () => {
    const older = budget('older', undefined, '2026-01-01T00:00:00Z');
    const newer = budget('newer', undefined, '2026-02-01T00:00:00Z');
    const result = reconcileTenantBudget({
      budget: newer,
      budgets: [older, newer],
      renderedBudgets: undefined,
      spend: spent(0),
      refreshMs: REFRESH_MS,
      now: NOW,
    });
    expect(result.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'TenantConflict',
    });
  });

  it('is RenderPending until budgets.yaml carries it', () => {
    const o = { ...observed(spent(0)), renderedBudgets: new Map() };
    expect(reconcileTenantBudget(o).status?.conditions?.[0]?.reason).toBe('RenderPending');
  });

  it('desires nothing for a budget that is gone', () => {
    expect(
      reconcileTenantBudget({ ...observed(spent(0)), budget: undefined, budgets: [] }),
    ).toEqual({ desired: [] });
  });
});
