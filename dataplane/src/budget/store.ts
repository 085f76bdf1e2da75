import type { PeriodWindow } from '../../../crds/budget-period.ts';

/** A tenant's limits for one period; an unset limit is unlimited. Amounts in nano-USD. */
export interface BudgetLimits {
  cost?: number;
  tokens?: number;
  requestsPerMinute?: number;
  concurrentStreams?: number;
}

export type LimitName = 'cost' | 'tokens' | 'requests' | 'streams';

export interface ReserveInput {
  tenant: string;
  requestId: string;
  window: PeriodWindow;
  limits: BudgetLimits;
  /** What the request may cost at most (nano-USD) and how many tokens it may use. */
  estimate: { cost: number; tokens: number };
  /** Whether the request holds one of the tenant's concurrent streams until settled. */
  stream: boolean;
  now: number;
  /** How long a reservation holds before it is released unsettled (a process that died). */
  leaseMs: number;
  /** Admit past the cost and token limits, saying which (the budget's Degrade action). */
  overLimit: boolean;
}

/** The tenant's standing in the period when the decision was taken, for the rate-limit headers. */
export interface Standing {
  /** Settled plus held, nano-USD and tokens. */
  cost: number;
  tokens: number;
  /** Requests admitted in the last 60 s, and streams held, this one included when admitted. */
  requests: number;
  streams: number;
  /** Epoch ms when the oldest request of the last minute leaves the window (0 when none). */
  requestsResetAt: number;
}

export type Decision =
  | { kind: 'admitted'; repeat: boolean; standing: Standing; degraded?: 'cost' | 'tokens' }
  | { kind: 'refused'; limit: LimitName; retryAfterS: number; repeat: boolean; standing: Standing }
  /** The same request id holds a reservation right now. */
  | { kind: 'in-progress' };

export interface SettleInput {
  tenant: string;
  requestId: string;
  window: PeriodWindow;
  /** What the request cost (nano-USD) and used; zero for a failed call. */
  cost: number;
  tokens: number;
  /** The checksum of the pricing file the cost was computed from, kept with the charge. */
  pricing?: string;
}

export interface Spend {
  cost: number;
  tokens: number;
  heldCost: number;
  heldTokens: number;
}

/**
 * Where budgets live: Redis for every replica to share (`RedisBudgetStore`), or this process's
 * memory in the single-process embedded mode (`MemoryBudgetStore`), with the same semantics:
 *
 * - `reserve` decides against every limit at once and, when it admits, holds the estimate,
 *   counts the request in the rolling minute and holds a stream; a request id already decided
 *   returns its first decision (`repeat`) and reserves nothing; one that holds a reservation
 *   right now is `in-progress`;
 * - `settle` turns the hold into the real charge exactly once (`already` after that); a
 *   reservation whose lease ran out was released unsettled, and a late settle still charges,
 *   as does a settle whose reservation the store lost (a Redis restart);
 * - a store that cannot be reached throws.
 */
export interface BudgetStore {
  reserve(input: ReserveInput): Promise<Decision>;
  settle(input: SettleInput): Promise<'settled' | 'already'>;
  spend(tenant: string, window: PeriodWindow): Promise<Spend>;
}

/** How long a request id's decision is remembered after its period ended. */
export const DECISION_RETENTION_MS = 86_400_000;
