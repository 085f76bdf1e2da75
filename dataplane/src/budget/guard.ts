import { nanoToUsd, periodAt, usdToNano } from '../../../crds/budget-period.ts';
import type { TenantBudgetSpec } from '../../../crds/tenant-budget.ts';
import { snapshotFor } from '../config/sandbox.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { Usage } from '../core/types.ts';
import type { Charge, Exchange, Outcome } from '../stages/context.ts';
import type { PipelineStage } from '../stages/stage.ts';
import { ApiError } from '../errors/api-error.ts';
import { estimateInputTokens } from './estimate.ts';
import { rateLimitHeaders } from './headers.ts';
import { costOf, createPriceTable, type PriceTable, type UnitPrice } from './pricing.ts';
import type { BudgetLimits, BudgetStore, Decision } from './store.ts';

export interface BudgetGuardOptions {
  store: BudgetStore;
  snapshot: () => ConfigSnapshot;
  now?: () => number;
  /** Told of a settlement the store refused (it is retried); never content. */
  onSettleError?: (error: unknown, tenant: string) => void;
}

/** What the guard keeps of one request between reserve and settle. */
interface Held {
  tenant: string;
  window: ReturnType<typeof periodAt>;
  /** Input tokens as estimated before the call (the charge when the provider reports none). */
  inputTokens: number;
  /** Whether a new reservation was taken (a repeated request id takes none). */
  reserved: boolean;
}

const held = new WeakMap<Exchange, Held>();

/**
 * The budget guard (DESIGN §5 step 4, docs/budgets.md): in `reserve`, one store call decides
 * against the tenant's limits for the current period and holds the request's most expensive
 * estimate (counted input tokens, plus max_tokens or the gateway's `budgets.estimatedOutputTokens`,
 * at the dearest price among the route's targets); in `settle`, the real usage at the served
 * target's price replaces the hold, once. Tenants without a TenantBudget are not metered, but
 * their answers are priced all the same (`exchange.charge`, which the audit receipt records).
 */
export function budgetGuard(options: BudgetGuardOptions): PipelineStage {
  const now = options.now ?? Date.now;
  const tables = new WeakMap<ConfigSnapshot['pricing'], PriceTable>();
  const pricesOf = (snapshot: ConfigSnapshot): PriceTable => {
    let table = tables.get(snapshot.pricing);
    if (table === undefined) {
      table = createPriceTable(snapshot.pricing.prices, snapshot.pricing.checksum);
      tables.set(snapshot.pricing, table);
    }
    return table;
  };

  return {
    name: 'budget',

    async reserve(exchange) {
      const { tenant } = exchange.context;
      // A sandbox tenant's own snapshot: a Degrade stays in the sandbox.
      const snapshot = snapshotFor(options.snapshot(), tenant);
      const budget = snapshot.budgets.get(tenant);
      if (budget === undefined) return;
      const at = now();
      const window = periodAt(budget.period ?? 'monthly', at);
      const limits = limitsOf(budget);
      const prices = pricesOf(snapshot);
      const inputTokens = inputTokensOf(exchange);
      const outputTokens =
        exchange.texts !== undefined
          ? 0
          : (exchange.prepared?.request.maxTokens ??
            snapshot.gateway.budgets.estimatedOutputTokens);
      const price = dearest(exchange, prices, at);
      if (price === 'unpriced' && limits.cost !== undefined) {
        throw new ApiError(
          'FORBIDDEN',
          `Model ${exchange.alias ?? ''} has no price, and tenant ${tenant} has a cost limit.`,
          { details: { model: exchange.alias, tenant } },
        );
      }
      const estimate = {
        cost:
          price === 'unpriced' ? 0 : costOf({ inputTokens, outputTokens, cachedTokens: 0 }, price),
        tokens: inputTokens + outputTokens,
      };
      const degradeTo =
        budget.onExceed?.action === 'Degrade' ? budget.onExceed.degradeTo : undefined;
      let decision: Decision;
      try {
        decision = await options.store.reserve({
          tenant,
          requestId: exchange.context.requestId,
          window,
          limits,
          estimate,
          stream: exchange.streamed === true,
          now: at,
          leaseMs: exchange.context.deadlineMs + 60_000,
          overLimit: degradeTo !== undefined && exchange.prepared !== undefined,
        });
      } catch (error) {
        if (budget.failOpen === true) return;
        throw new ApiError('BUDGET_UNAVAILABLE', 'The budget store cannot be reached.', {
          retryAfterS: 1,
          cause: error,
        });
      }
      if (decision.kind === 'in-progress') {
        throw new ApiError('CONFLICT', 'A request with this x-request-id is in progress.', {
          details: { request_id: exchange.context.requestId },
        });
      }
      for (const [name, value] of rateLimitHeaders(limits, decision.standing, window, at)) {
        exchange.context.setHeader?.(name, value);
      }
      if (decision.kind === 'refused') {
        const money = decision.limit === 'cost' || decision.limit === 'tokens';
        throw new ApiError(
          money ? 'BUDGET_EXCEEDED' : 'RATE_LIMITED',
          money
            ? `Tenant ${tenant} has used its ${decision.limit} budget for this ${budget.period ?? 'monthly'} period.`
            : `Tenant ${tenant} is over its ${decision.limit === 'requests' ? 'requests per minute' : 'concurrent streams'} limit.`,
          { details: { limit: decision.limit }, retryAfterS: decision.retryAfterS },
        );
      }
      if (
        decision.degraded !== undefined &&
        degradeTo !== undefined &&
        exchange.prepared !== undefined
      ) {
        const route = snapshot.routes.get(degradeTo);
        if (route === undefined) {
          throw new ApiError(
            'MODEL_NOT_FOUND',
            `No route serves model ${degradeTo} (the budget's degradeTo).`,
            {
              details: { model: degradeTo },
            },
          );
        }
        exchange.context.setHeader?.(
          'x-budget-degraded',
          `${exchange.alias ?? ''} -> ${degradeTo}`,
        );
        exchange.prepared = { ...exchange.prepared, route };
        exchange.route = route;
        if (exchange.alias !== undefined) exchange.degradedFrom = exchange.alias;
        exchange.alias = degradeTo;
      }
      held.set(exchange, { tenant, window, inputTokens, reserved: !decision.repeat });
    },

    async settle(exchange, outcome) {
      const entry = held.get(exchange);
      const usage = usageOf(outcome, () => entry?.inputTokens ?? inputTokensOf(exchange));
      const target = exchange.servedBy;
      const price =
        target === undefined || usage === undefined
          ? undefined
          : pricesOf(snapshotFor(options.snapshot(), exchange.context.tenant)).priceOf(
              target.provider,
              target.model,
              now(),
            );
      // Every answer is priced, metered or not; the stages settled and sealed with this one
      // read it (it is written before the first await).
      // An answer from the cache called no provider: it costs nothing and spends no tokens.
      const free = usage === undefined || exchange.cache === 'HIT';
      const priced: Charge = {
        cost: free || price === undefined ? 0 : costOf(usage, price),
        tokens: free ? 0 : usage.inputTokens + usage.outputTokens,
        ...(price === undefined ? {} : { pricing: price.checksum }),
      };
      exchange.charge = priced;
      if (entry === undefined || !entry.reserved) return;
      if (usage !== undefined) {
        exchange.context.setHeader?.(
          'x-inference-cost-usd',
          price === undefined ? 'unknown' : nanoToUsd(priced.cost),
        );
      }
      const charge = {
        ...priced,
        tenant: entry.tenant,
        requestId: exchange.context.requestId,
        window: entry.window,
      };
      try {
        await options.store.settle(charge);
      } catch (error) {
        options.onSettleError?.(error, entry.tenant);
        retrySettle(options, charge);
      }
    },
  };
}

function limitsOf(budget: TenantBudgetSpec): BudgetLimits {
  const { costUSD, tokens, requestsPerMinute, concurrentStreams } = budget.limits;
  return {
    ...(costUSD === undefined ? {} : { cost: usdToNano(costUSD) }),
    ...(tokens === undefined ? {} : { tokens }),
    ...(requestsPerMinute === undefined ? {} : { requestsPerMinute }),
    ...(concurrentStreams === undefined ? {} : { concurrentStreams }),
  };
}

function inputTokensOf(exchange: Exchange): number {
  if (exchange.texts !== undefined)
    return estimateInputTokens(exchange.texts.map((content) => ({ role: 'user', content })));
  return estimateInputTokens(exchange.prepared?.request.messages ?? []);
}

/** The dearest price among the route's targets (any of them may serve), or `unpriced`. */
function dearest(exchange: Exchange, prices: PriceTable, at: number): UnitPrice | 'unpriced' {
  const targets = exchange.route?.targets ?? [];
  let worst: UnitPrice | undefined;
  for (const target of targets) {
    const price = prices.priceOf(target.provider, target.model, at);
    if (price === undefined) return 'unpriced';
    if (worst === undefined || price.output + price.input > worst.output + worst.input)
      worst = price;
  }
  return worst ?? 'unpriced';
}

/**
 * What to charge: an answer, the provider's usage (the estimated input when it reported
 * none); a caller gone mid-answer, the estimated input and about four characters an output
 * token of what the upstream produced until then; a failed call, nothing.
 */
function usageOf(outcome: Outcome, inputTokens: () => number): Usage | undefined {
  if (outcome.kind === 'done') {
    const { usage } = outcome;
    return usage.inputTokens + usage.outputTokens > 0
      ? usage
      : { inputTokens: inputTokens(), outputTokens: 0, cachedTokens: 0 };
  }
  if (outcome.kind === 'failed' || outcome.outputChars === 0) return undefined;
  return {
    inputTokens: inputTokens(),
    outputTokens: Math.ceil(outcome.outputChars / 4),
    cachedTokens: 0,
  };
}

/** A settlement the store refused: retried every second for up to ten minutes, once each. */
function retrySettle(
  options: BudgetGuardOptions,
  charge: Parameters<BudgetStore['settle']>[0],
): void {
  let tries = 0;
  const timer = setInterval(() => {
    tries++;
    options.store.settle(charge).then(
      () => {
        clearInterval(timer);
      },
      (error: unknown) => {
        if (tries >= 600) clearInterval(timer);
        options.onSettleError?.(error, charge.tenant);
      },
    );
  }, 1000);
  timer.unref();
}
