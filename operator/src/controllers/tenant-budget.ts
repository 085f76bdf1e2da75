/**
 * TenantBudget: one budget per tenant in a namespace (the oldest wins), rendered into
 * budgets.yaml. Spend is not tracked yet (that is the budget-enforcement issue): status shows
 * the current period with nothing spent, and the budget is reconciled again when the period
 * rolls over.
 */
import { canonicalJson } from '../../../crds/canonical-json.ts';
import type {
  TenantBudget,
  TenantBudgetSpec,
  TenantBudgetStatus,
} from '../../../crds/tenant-budget.ts';
import { firstProblem, metaTime, setConditions, verdict, type Verdict } from './conditions.ts';
import { byAge, must, type ReconcileResult } from './types.ts';

export type Period = NonNullable<TenantBudgetSpec['period']>;

/** Start of the UTC calendar period that holds now: the day, the ISO week (Monday), the month. */
export function periodStart(period: Period, now: Date): Date {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (period) {
    case 'daily':
      return new Date(day);
    case 'weekly':
      return new Date(day - ((now.getUTCDay() + 6) % 7) * 86_400_000);
    case 'monthly':
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  }
}

/** Start of the period after the one that holds now. */
export function nextPeriodStart(period: Period, now: Date): Date {
  const start = periodStart(period, now);
  switch (period) {
    case 'daily':
      return new Date(start.getTime() + 86_400_000);
    case 'weekly':
      return new Date(start.getTime() + 7 * 86_400_000);
    case 'monthly':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** One budget per tenant: the oldest keeps the tenant. */
export function tenantPolicy(budget: TenantBudget, winner: TenantBudget): Verdict {
  if (winner.metadata.name === budget.metadata.name) {
    return verdict('True', 'TenantAvailable', `Applies to tenant ${budget.spec.tenant}.`);
  }
  return verdict(
    'False',
    'TenantConflict',
    `Tenant ${budget.spec.tenant} already has the older TenantBudget ${winner.metadata.name}; this one is not rendered.`,
  );
}

/** Nothing is spent until spend tracking exists, so every limit has room. */
export function withinBudgetPolicy(budget: TenantBudget): Verdict {
  const cost = budget.spec.limits.costUSD;
  return verdict(
    'True',
    'WithinLimits',
    cost === undefined
      ? 'No spend recorded this period (spend tracking arrives with budget enforcement).'
      : `Spent 0 of ${String(cost)} USD this period (spend tracking arrives with budget enforcement).`,
  );
}

/** Budgets of a namespace that budgets.yaml carries: one per tenant, the oldest. */
export function resolveBudgets(budgets: readonly TenantBudget[]): Map<string, Verdict> {
  const winners = new Map<string, TenantBudget>();
  for (const budget of [...budgets].sort(byAge)) {
    if (!winners.has(budget.spec.tenant)) winners.set(budget.spec.tenant, budget);
  }
  return new Map(
    budgets.map((b) => [b.metadata.name, tenantPolicy(b, winners.get(b.spec.tenant) ?? b)]),
  );
}

export interface TenantBudgetObserved {
  budget: TenantBudget | undefined;
  budgets: readonly TenantBudget[];
  /** budgets.yaml of the rendered config, by tenant; undefined before the first render. */
  renderedBudgets: ReadonlyMap<string, unknown> | undefined;
  now: Date;
}

export function reconcileTenantBudget(
  o: TenantBudgetObserved,
): ReconcileResult<TenantBudgetStatus> {
  const budget = o.budget;
  if (budget === undefined) return { desired: [] };
  const tenant = must(
    resolveBudgets(o.budgets).get(budget.metadata.name),
    `the tenant verdict of ${budget.metadata.name}`,
  );
  const rendered =
    tenant.status !== 'True'
      ? verdict('False', 'NotRendered', 'The budget is not rendered.')
      : canonicalJson(o.renderedBudgets?.get(budget.spec.tenant) ?? null) ===
          canonicalJson(budget.spec)
        ? verdict('True', 'Rendered', 'The budget is in the config contract the gateway reads.')
        : verdict(
            'Unknown',
            'RenderPending',
            'The budget is not yet in the rendered config contract.',
          );
  const ready = firstProblem(
    [tenant, rendered],
    verdict('True', 'Applied', `The gateway applies this budget to tenant ${budget.spec.tenant}.`),
  );
  const period = budget.spec.period ?? 'monthly';
  const cost = budget.spec.limits.costUSD;
  const generation = budget.metadata.generation;
  const status: TenantBudgetStatus = {
    conditions: setConditions(
      budget.status?.conditions,
      { Ready: ready, WithinBudget: withinBudgetPolicy(budget) },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    periodStart: metaTime(periodStart(period, o.now)),
    spentUSD: '0',
    spentTokens: 0,
    ...(cost === undefined ? {} : { remainingUSD: String(cost) }),
  };
  return {
    desired: [],
    status,
    requeueAfterMs: nextPeriodStart(period, o.now).getTime() - o.now.getTime(),
  };
}
