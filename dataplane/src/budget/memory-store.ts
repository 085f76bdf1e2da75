import type { PeriodWindow } from '../../../crds/budget-period.ts';
import {
  DECISION_RETENTION_MS,
  type BudgetStore,
  type Decision,
  type LimitName,
  type ReserveInput,
  type SettleInput,
  type Spend,
  type Standing,
} from './store.ts';

interface Held {
  state: 'held' | 'settled' | 'released' | 'refused';
  /** The period the reservation was taken in: its settlement is charged there. */
  window: PeriodWindow;
  cost: number;
  tokens: number;
  stream: boolean;
  leaseUntil: number;
  expiresAt: number;
  refusal?: { limit: LimitName; retryAfterS: number };
}

interface Tenant {
  spend: Map<string, Spend & { expiresAt: number }>;
  /** Admission times of the rolling minute, oldest first. */
  requests: number[];
  /** Held streams and when their lease ends. */
  streams: Map<string, number>;
  records: Map<string, Held>;
  /** Reservations by lease end and records by expiry, oldest first (both nearly in order). */
  leases: { id: string; until: number }[];
  expiries: { id: string; at: number }[];
}

/** The budget store of the single-process mode (`make run`): `BudgetStore`'s semantics in memory. */
export class MemoryBudgetStore implements BudgetStore {
  readonly #tenants = new Map<string, Tenant>();

  async reserve(input: ReserveInput): Promise<Decision> {
    const tenant = this.#tenant(input.tenant);
    const { now } = input;
    this.#expire(tenant, now);
    const spend = this.#spend(tenant, input.window);
    const record = tenant.records.get(input.requestId);
    const standing = (): Standing => ({
      cost: spend.cost + spend.heldCost,
      tokens: spend.tokens + spend.heldTokens,
      requests: tenant.requests.length,
      streams: tenant.streams.size,
      requestsResetAt: tenant.requests[0] === undefined ? 0 : tenant.requests[0] + 60_000,
    });
    if (record !== undefined) {
      if (record.state === 'held') return { kind: 'in-progress' };
      if (record.state === 'refused' && record.refusal !== undefined) {
        return { kind: 'refused', ...record.refusal, repeat: true, standing: standing() };
      }
      return { kind: 'admitted', repeat: true, standing: standing() };
    }
    const { limits, estimate } = input;
    const refuse = (limit: LimitName, retryAfterMs: number): Decision => {
      const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
      this.#record(tenant, input.requestId, {
        state: 'refused',
        window: input.window,
        cost: 0,
        tokens: 0,
        stream: false,
        leaseUntil: 0,
        expiresAt: now + retryAfterS * 1000,
        refusal: { limit, retryAfterS },
      });
      return { kind: 'refused', limit, retryAfterS, repeat: false, standing: standing() };
    };
    if (
      input.stream &&
      limits.concurrentStreams !== undefined &&
      tenant.streams.size >= limits.concurrentStreams
    ) {
      const soonest = Math.min(...tenant.streams.values(), now + 1000);
      return refuse('streams', soonest - now);
    }
    if (
      limits.requestsPerMinute !== undefined &&
      tenant.requests.length >= limits.requestsPerMinute
    ) {
      return refuse('requests', (tenant.requests[0] ?? now) + 60_000 - now);
    }
    let degraded: 'cost' | 'tokens' | undefined;
    if (limits.cost !== undefined && spend.cost + spend.heldCost + estimate.cost > limits.cost) {
      if (!input.overLimit) return refuse('cost', input.window.end - now);
      degraded = 'cost';
    } else if (
      limits.tokens !== undefined &&
      spend.tokens + spend.heldTokens + estimate.tokens > limits.tokens
    ) {
      if (!input.overLimit) return refuse('tokens', input.window.end - now);
      degraded = 'tokens';
    }
    spend.heldCost += estimate.cost;
    spend.heldTokens += estimate.tokens;
    tenant.requests.push(now);
    if (input.stream) tenant.streams.set(input.requestId, now + input.leaseMs);
    tenant.leases.push({ id: input.requestId, until: now + input.leaseMs });
    this.#record(tenant, input.requestId, {
      state: 'held',
      window: input.window,
      cost: estimate.cost,
      tokens: estimate.tokens,
      stream: input.stream,
      leaseUntil: now + input.leaseMs,
      expiresAt: input.window.end + DECISION_RETENTION_MS,
    });
    const admitted = { kind: 'admitted' as const, repeat: false, standing: standing() };
    return degraded === undefined ? admitted : { ...admitted, degraded };
  }

  async settle(input: SettleInput): Promise<'settled' | 'already'> {
    const tenant = this.#tenant(input.tenant);
    const record = tenant.records.get(input.requestId);
    if (record?.state === 'settled' || record?.state === 'refused') return 'already';
    const spend = this.#spend(tenant, record?.window ?? input.window);
    if (record === undefined) {
      // Never reserved here (or forgotten): the charge is what counts, once.
      spend.cost += input.cost;
      spend.tokens += input.tokens;
      this.#record(tenant, input.requestId, {
        state: 'settled',
        window: input.window,
        cost: 0,
        tokens: 0,
        stream: false,
        leaseUntil: 0,
        expiresAt: input.window.end + DECISION_RETENTION_MS,
      });
      return 'settled';
    }
    if (record.state === 'held') {
      spend.heldCost -= record.cost;
      spend.heldTokens -= record.tokens;
      tenant.streams.delete(input.requestId);
    }
    spend.cost += input.cost;
    spend.tokens += input.tokens;
    record.state = 'settled';
    return 'settled';
  }

  async spend(tenant: string, window: PeriodWindow): Promise<Spend> {
    const { cost, tokens, heldCost, heldTokens } = this.#spend(this.#tenant(tenant), window);
    return { cost, tokens, heldCost, heldTokens };
  }

  #tenant(name: string): Tenant {
    let tenant = this.#tenants.get(name);
    if (tenant === undefined) {
      tenant = {
        spend: new Map(),
        requests: [],
        streams: new Map(),
        records: new Map(),
        leases: [],
        expiries: [],
      };
      this.#tenants.set(name, tenant);
    }
    return tenant;
  }

  #spend(tenant: Tenant, window: PeriodWindow): Spend & { expiresAt: number } {
    let spend = tenant.spend.get(window.id);
    if (spend === undefined) {
      spend = {
        cost: 0,
        tokens: 0,
        heldCost: 0,
        heldTokens: 0,
        expiresAt: window.end + DECISION_RETENTION_MS,
      };
      tenant.spend.set(window.id, spend);
    }
    return spend;
  }

  #record(tenant: Tenant, id: string, record: Held): void {
    tenant.records.set(id, record);
    tenant.expiries.push({ id, at: record.expiresAt });
  }

  /** Leaves the rolling minute, releases reservations whose lease ran out, forgets old records. */
  #expire(tenant: Tenant, now: number): void {
    while (tenant.requests[0] !== undefined && tenant.requests[0] <= now - 60_000)
      tenant.requests.shift();
    while (tenant.leases[0] !== undefined && tenant.leases[0].until <= now) {
      const { id } = tenant.leases.shift() ?? { id: '' };
      const record = tenant.records.get(id);
      if (record?.state !== 'held') continue;
      const spend = this.#spend(tenant, record.window);
      spend.heldCost -= record.cost;
      spend.heldTokens -= record.tokens;
      tenant.streams.delete(id);
      record.state = 'released';
    }
    while (tenant.expiries[0] !== undefined && tenant.expiries[0].at <= now) {
      const { id, at } = tenant.expiries.shift() ?? { id: '', at: 0 };
      if (tenant.records.get(id)?.expiresAt === at) tenant.records.delete(id);
    }
    for (const [id, spend] of tenant.spend) if (spend.expiresAt <= now) tenant.spend.delete(id);
  }
}
