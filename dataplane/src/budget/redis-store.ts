import type { Redis } from 'ioredis';
import { spendKey, type PeriodWindow } from '../../../crds/budget-period.ts';
import { RESERVE, SETTLE } from './lua.ts';
import {
  DECISION_RETENTION_MS,
  type BudgetStore,
  type Decision,
  type LimitName,
  type ReserveInput,
  type SettleInput,
  type Spend,
} from './store.ts';

type Reply = [string, string, number, number, number, number, number, number, number, string];

interface BudgetCommands {
  budgetReserve(...args: (string | number)[]): Promise<Reply | ['in-progress']>;
  budgetSettle(...args: (string | number)[]): Promise<number>;
}

/**
 * Budgets in Redis, shared by every replica: one script decides and reserves (`lua.ts`
 * RESERVE), one settles (SETTLE). Keys: `<prefix>budget:{tenant}:…` (crds/budget-period.ts).
 */
export class RedisBudgetStore implements BudgetStore {
  readonly #redis: Redis & BudgetCommands;
  readonly #prefix: () => string;

  /** `prefix`: of every key, read per call (it follows the served gateway.yaml). @default '' */
  constructor(redis: Redis, options: { prefix?: string | (() => string) } = {}) {
    if (!('budgetReserve' in redis)) {
      redis.defineCommand('budgetReserve', { numberOfKeys: 5, lua: RESERVE });
      redis.defineCommand('budgetSettle', { numberOfKeys: 4, lua: SETTLE });
    }
    this.#redis = redis as Redis & BudgetCommands;
    const prefix = options.prefix ?? '';
    this.#prefix = typeof prefix === 'string' ? () => prefix : prefix;
  }

  async reserve(input: ReserveInput): Promise<Decision> {
    const { limits } = input;
    const keys = this.#keys(input.tenant, input.requestId);
    const reply = await this.#redis.budgetReserve(
      spendKey(this.#prefix(), input.tenant, input.window),
      keys.record,
      keys.minute,
      keys.streams,
      keys.leases,
      input.now,
      input.requestId,
      limits.cost ?? -1,
      limits.tokens ?? -1,
      limits.requestsPerMinute ?? -1,
      limits.concurrentStreams ?? -1,
      input.estimate.cost,
      input.estimate.tokens,
      input.stream ? 1 : 0,
      input.leaseMs,
      input.window.end,
      DECISION_RETENTION_MS,
      keys.recordPrefix,
      input.overLimit ? 1 : 0,
    );
    if (reply[0] === 'in-progress') return { kind: 'in-progress' };
    const [kind, limit, retryAfterS, repeat, cost, tokens, requests, streams, resetAt, degraded] =
      reply as Reply;
    const standing = { cost, tokens, requests, streams, requestsResetAt: resetAt };
    if (kind === 'refused') {
      return { kind, limit: limit as LimitName, retryAfterS, repeat: repeat === 1, standing };
    }
    const admitted = { kind: 'admitted' as const, repeat: repeat === 1, standing };
    return degraded === 'cost' || degraded === 'tokens' ? { ...admitted, degraded } : admitted;
  }

  async settle(input: SettleInput): Promise<'settled' | 'already'> {
    const keys = this.#keys(input.tenant, input.requestId);
    const charged = await this.#redis.budgetSettle(
      keys.record,
      keys.leases,
      keys.streams,
      spendKey(this.#prefix(), input.tenant, input.window),
      input.cost,
      input.tokens,
      input.requestId,
      input.window.end + DECISION_RETENTION_MS,
      input.pricing ?? '',
    );
    return charged === 1 ? 'settled' : 'already';
  }

  async spend(tenant: string, window: PeriodWindow): Promise<Spend> {
    const [cost, tokens, heldCost, heldTokens] = await this.#redis.hmget(
      spendKey(this.#prefix(), tenant, window),
      'cost',
      'tokens',
      'held_cost',
      'held_tokens',
    );
    return {
      cost: Number(cost ?? 0),
      tokens: Number(tokens ?? 0),
      heldCost: Number(heldCost ?? 0),
      heldTokens: Number(heldTokens ?? 0),
    };
  }

  #keys(tenant: string, requestId: string) {
    const base = `${this.#prefix()}budget:{${tenant}}:`;
    return {
      recordPrefix: `${base}req:`,
      record: `${base}req:${requestId}`,
      minute: `${base}minute`,
      streams: `${base}streams`,
      leases: `${base}leases`,
    };
  }
}
