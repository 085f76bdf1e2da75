/**
 * A tool call through the caller tenant's TenantBudget (docs/budgets.md), with the budget
 * layer's own atomic store: before the call, one `reserve` decides against the tenant's
 * `requestsPerMinute` (a tool call is a request of the tenant's minute) and `costUSD` (holding
 * the server's `pricePerCallUSD`) for the current period; after it, `settle` charges the price
 * when the call was served and nothing otherwise, once. The reserve is keyed by the session
 * and the JSON-RPC id, which MCP makes unique in a session, so a repeated request is decided
 * once; a settlement the store refuses is retried twice (`settleWithRetry`). A tenant
 * without a TenantBudget is not metered. A tool call uses no tokens and holds
 * no stream, so the `tokens` and `concurrentStreams` limits do not apply to it.
 */
import { periodAt, usdToNano } from '../../../../crds/budget-period.ts';
import type { TenantBudgetSpec } from '../../../../crds/tenant-budget.ts';
import type { BudgetLimits, BudgetStore } from '../../budget/store.ts';
import { snapshotFor } from '../../config/sandbox.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';

export interface ToolReservation {
  /**
   * Charges the price when `served`, nothing otherwise. Never throws: a settlement the store
   * refuses is dropped, and the hold ends with its lease, uncharged.
   */
  settle(served: boolean): Promise<void>;
}

const UNMETERED: ToolReservation = { settle: async () => undefined };

function toolLimits(budget: TenantBudgetSpec): BudgetLimits {
  const { costUSD, requestsPerMinute } = budget.limits;
  return {
    ...(costUSD === undefined ? {} : { cost: usdToNano(costUSD) }),
    ...(requestsPerMinute === undefined ? {} : { requestsPerMinute }),
  };
}

export async function reserveToolCall(
  store: BudgetStore,
  served: ConfigSnapshot,
  call: { tenant: string; requestId: string; price: number; leaseMs: number; now: number },
): Promise<ToolReservation> {
  const { tenant, requestId, price, now } = call;
  const budget = snapshotFor(served, tenant).budgets.get(tenant);
  if (budget === undefined) return UNMETERED;
  const window = periodAt(budget.period ?? 'monthly', now);
  let decision;
  try {
    decision = await store.reserve({
      tenant,
      requestId,
      window,
      limits: toolLimits(budget),
      estimate: { cost: price, tokens: 0 },
      stream: false,
      now,
      leaseMs: call.leaseMs,
      overLimit: false,
    });
  } catch (error) {
    if (budget.failOpen === true) return UNMETERED;
    throw new ApiError('BUDGET_UNAVAILABLE', 'The budget store cannot be reached.', {
      retryAfterS: 1,
      cause: error,
    });
  }
  if (decision.kind === 'in-progress') {
    throw new ApiError('CONFLICT', 'A tool call with this JSON-RPC id is in progress.');
  }
  if (decision.kind === 'refused') {
    const money = decision.limit === 'cost';
    throw new ApiError(
      money ? 'BUDGET_EXCEEDED' : 'RATE_LIMITED',
      money
        ? `Tenant ${tenant} has used its cost budget for this ${budget.period ?? 'monthly'} period.`
        : `Tenant ${tenant} is over its requests per minute limit.`,
      { details: { limit: decision.limit }, retryAfterS: decision.retryAfterS },
    );
  }
  if (decision.repeat) return UNMETERED;
  return {
    settle: (wasServed) =>
      settleWithRetry(store, { tenant, requestId, window, cost: wasServed ? price : 0, tokens: 0 }),
  };
}

/** The pauses before each retry of a settlement the store refused. */
export const SETTLE_RETRY_MS = [100, 400] as const;

/**
 * Settles, retrying twice (100 ms, then 400 ms later) when the store cannot be reached: a
 * settle is applied exactly once per request id, so a retry of one that did land charges
 * nothing more. After the last, the settlement is dropped and the hold ends with its lease,
 * uncharged. Never throws.
 */
export async function settleWithRetry(
  store: BudgetStore,
  settlement: Parameters<BudgetStore['settle']>[0],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.settle(settlement);
      return;
    } catch {
      const pause = SETTLE_RETRY_MS[attempt];
      if (pause === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
