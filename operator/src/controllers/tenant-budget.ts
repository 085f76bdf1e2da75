/**
 * TenantBudget: one budget per tenant in a namespace (the oldest wins), rendered into
 * budgets.yaml, which the gateway enforces. Status reports the tenant's settled spend in the
 * current period as the runtime observed it (the gateways' spend hash in Redis, read-only:
 * crds/budget-period.ts): spent and remaining, WithinBudget False once a limit is reached, and
 * an Event and a gauge per alert threshold. Spend that could not be read is reported as
 * unknown, never as 0.
 */
import { canonicalJson } from '../../../crds/canonical-json.ts';
import { nanoToUsd, periodAt, usdToNano, type PeriodWindow } from '../../../crds/budget-period.ts';
import type {
  TenantBudget,
  TenantBudgetSpec,
  TenantBudgetStatus,
} from '../../../crds/tenant-budget.ts';
import type { EventIntent } from '../runtime/events.ts';
import { firstProblem, metaTime, setConditions, verdict, type Verdict } from './conditions.ts';
import { byAge, must, type GaugeSample, type ReconcileResult } from './types.ts';

export type Period = NonNullable<TenantBudgetSpec['period']>;

/** Alert thresholds when the spec names none, in percent of each limit. */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [50, 80, 100];

/** The tenant's settled spend in the current period, or why it is not known. */
export type SpendReading =
  { known: true; /** nano-USD */ cost: number; tokens: number } | { known: false; message: string };

/** One limit that spend is counted against: its name (a metric label), limit and spend. */
interface Usage {
  limit: 'cost' | 'tokens';
  spent: number;
  max: number;
  /** How a person reads an amount of it. */
  show(amount: number): string;
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

/** The cost and token limits of spec with the spend against each (rate limits are not spend). */
export function usages(spec: TenantBudgetSpec, cost: number, tokens: number): Usage[] {
  const out: Usage[] = [];
  if (spec.limits.costUSD !== undefined) {
    out.push({
      limit: 'cost',
      spent: cost,
      max: usdToNano(String(spec.limits.costUSD)),
      show: (nano) => `${nanoToUsd(nano)} USD`,
    });
  }
  if (spec.limits.tokens !== undefined) {
    out.push({
      limit: 'tokens',
      spent: tokens,
      max: spec.limits.tokens,
      show: (n) => `${n} tokens`,
    });
  }
  return out;
}

/** spent ÷ limit; a limit of 0 is used up from the start (1) and overrun by any spend (∞). */
export function usedRatio(u: Usage): number {
  if (u.max === 0) return u.spent === 0 ? 1 : Infinity;
  return u.spent / u.max;
}

/** Whether spend has reached percent of the limit (integer arithmetic, no rounding). */
const reached = (spent: number, max: number, percent: number): boolean =>
  spent * 100 >= max * percent;

/** WithinBudget: False once settled spend reaches a limit; Unknown while spend is unknown. */
export function withinBudgetPolicy(budget: TenantBudget, spend: SpendReading): Verdict {
  if (!spend.known) return verdict('Unknown', 'SpendUnknown', spend.message);
  const all = usages(budget.spec, spend.cost, spend.tokens);
  const summary = (u: Usage) => `${u.show(u.spent)} of ${u.show(u.max)}`;
  const over = all.find((u) => reached(u.spent, u.max, 100));
  if (over !== undefined) {
    return verdict(
      'False',
      over.limit === 'cost' ? 'CostLimitReached' : 'TokenLimitReached',
      `Spent ${summary(over)} this period: the ${over.limit} limit is reached.`,
    );
  }
  return verdict(
    'True',
    'WithinLimits',
    all.length === 0
      ? `Spent ${nanoToUsd(spend.cost)} USD and ${spend.tokens} tokens this period; no cost or token limit.`
      : `Spent ${all.map(summary).join(' and ')} this period.`,
  );
}

/**
 * Alert thresholds newly crossed: reached now and not by the spend the status last showed in
 * the same period. Both sides are read as the status shows them (USD rounded up to the
 * micro-dollar), so an alert fires exactly when the shown spend crosses, once per period.
 */
export function crossedThresholds(
  budget: TenantBudget,
  window: PeriodWindow,
  spend: { cost: number; tokens: number },
): { usage: Usage; percent: number }[] {
  const before = budget.status;
  const shown = (nano: number) => usdToNano(nanoToUsd(nano));
  const now = usages(budget.spec, shown(spend.cost), spend.tokens);
  // What the status last showed for this period; nothing shown (another period, or spend that
  // was unknown) means every threshold reached now is news.
  const previous =
    before?.periodStart === metaTime(new Date(window.start)) && before.spentUSD !== undefined
      ? usages(budget.spec, usdToNano(before.spentUSD), before.spentTokens ?? 0)
      : undefined;
  const thresholds = budget.spec.alertThresholds ?? DEFAULT_ALERT_THRESHOLDS;
  return now.flatMap((usage, i) => {
    const was = previous?.[i];
    return thresholds
      .filter((percent) => reached(usage.spent, usage.max, percent))
      .filter((percent) => was === undefined || !reached(was.spent, was.max, percent))
      .map((percent) => ({ usage, percent }));
  });
}

export interface TenantBudgetObserved {
  budget: TenantBudget | undefined;
  budgets: readonly TenantBudget[];
  /** budgets.yaml of the rendered config, by tenant; undefined before the first render. */
  renderedBudgets: ReadonlyMap<string, unknown> | undefined;
  /** The tenant's spend in the period that holds `now`. */
  spend: SpendReading;
  /** How often spend is read again; undefined when it is never read (no Redis configured). */
  refreshMs: number | undefined;
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
    verdict(
      'True',
      'Applied',
      `The budget of tenant ${budget.spec.tenant} is in the config contract the gateway enforces.`,
    ),
  );
  const window = periodAt(budget.spec.period ?? 'monthly', o.now.getTime());
  const generation = budget.metadata.generation;
  const { spend } = o;
  const status: TenantBudgetStatus = {
    conditions: setConditions(
      budget.status?.conditions,
      { Ready: ready, WithinBudget: withinBudgetPolicy(budget, spend) },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    periodStart: metaTime(new Date(window.start)),
    ...(spend.known ? spendStatus(budget.spec, spend) : {}),
  };
  const untilPeriodEnd = window.end - o.now.getTime();
  return {
    desired: [],
    status,
    requeueAfterMs: Math.min(untilPeriodEnd, o.refreshMs ?? untilPeriodEnd),
    ...(spend.known
      ? {
          events: thresholdEvents(budget, window, spend),
          gauges: usedRatioGauges(budget, spend),
        }
      : {}),
  };
}

/** spentUSD, spentTokens and, with a cost limit, remainingUSD (never below 0). */
function spendStatus(
  spec: TenantBudgetSpec,
  spend: { cost: number; tokens: number },
): Pick<TenantBudgetStatus, 'spentUSD' | 'spentTokens' | 'remainingUSD'> {
  const cost = usages(spec, spend.cost, spend.tokens).find((u) => u.limit === 'cost');
  return {
    spentUSD: nanoToUsd(spend.cost),
    spentTokens: spend.tokens,
    // What is left, rounded down to the micro-dollar (the spend is rounded up).
    ...(cost === undefined
      ? {}
      : { remainingUSD: nanoToUsd(floorMicro(Math.max(0, cost.max - spend.cost))) }),
  };
}

/** nano-USD rounded down to whole micro-dollars. */
const floorMicro = (nano: number): number => Math.floor(nano / 1000) * 1000;

function thresholdEvents(
  budget: TenantBudget,
  window: PeriodWindow,
  spend: { cost: number; tokens: number },
): EventIntent[] {
  return crossedThresholds(budget, window, spend).map(({ usage, percent }) => ({
    type: 'Warning',
    reason: 'BudgetThresholdCrossed',
    note: `Tenant ${budget.spec.tenant} used ${percent} % of its ${usage.limit} limit this period: ${usage.show(usage.spent)} of ${usage.show(usage.max)}.`,
    action: 'Reconcile',
  }));
}

function usedRatioGauges(
  budget: TenantBudget,
  spend: { cost: number; tokens: number },
): GaugeSample[] {
  return usages(budget.spec, spend.cost, spend.tokens).map((u) => ({
    gauge: 'budgetUsedRatio',
    labels: {
      namespace: budget.metadata.namespace ?? '',
      tenant: budget.spec.tenant,
      limit: u.limit,
    },
    value: usedRatio(u),
  }));
}
