import { describe, expect, it } from 'vitest';
import { periodAt } from '../../../../crds/budget-period.ts';
import { MemoryBudgetStore } from '../../budget/memory-store.ts';
import type { BudgetStore } from '../../budget/store.ts';
import { settleWithRetry } from './tool-budget.ts';

const NOW = Date.parse('2026-03-18T10:00:00Z');
const window = periodAt('monthly', NOW);

/** The real memory store, whose first `failures` settles fail as an unreachable Redis does. */
function flaky(failures: number): {
  store: BudgetStore;
  real: MemoryBudgetStore;
  tries: () => number;
} {
  const real = new MemoryBudgetStore();
  let tries = 0;
  const store: BudgetStore = {
    reserve: (input) => real.reserve(input),
    spend: (tenant, w) => real.spend(tenant, w),
    settle: (input) => {
      tries++;
      return tries <= failures
        ? Promise.reject(new Error('Connection is closed.'))
        : real.settle(input);
    },
  };
  return { store, real, tries: () => tries };
}

async function heldCall(store: BudgetStore): Promise<void> {
  await store.reserve({
    tenant: 'acme',
    requestId: 'mcp:s:1',
    window,
    limits: {},
    estimate: { cost: 5, tokens: 0 },
    stream: false,
    now: NOW,
    leaseMs: 60_000,
    overLimit: false,
  });
}

const settlement = { tenant: 'acme', requestId: 'mcp:s:1', window, cost: 5, tokens: 0 };

describe('settleWithRetry', () => {
  it('charges once when the store answers on a retry', async () => {
    const { store, real, tries } = flaky(2);
    await heldCall(store);
    await settleWithRetry(store, settlement);
    expect(tries()).toBe(3);
    expect(await real.spend('acme', window)).toMatchObject({ cost: 5, heldCost: 0 });
  });

  it('drops the settlement after the last retry, without throwing, leaving the hold to its lease', async () => {
    const { store, real, tries } = flaky(3);
    await heldCall(store);
    await expect(settleWithRetry(store, settlement)).resolves.toBeUndefined();
    expect(tries()).toBe(3);
    expect(await real.spend('acme', window)).toMatchObject({ cost: 0, heldCost: 5 });
  });
});
