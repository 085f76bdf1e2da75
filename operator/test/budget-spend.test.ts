// TenantBudget status against a real Redis: the test writes a tenant's spend hash as the
// gateway's budget guard would (crds/budget-period.ts), and the operator, which only reads it,
// shows the spend, alerts at the thresholds and turns WithinBudget False past the limit. An
// operator without Redis says the spend is unknown instead of showing 0.
import { EventsV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { periodAt, spendKey, usdToNano } from '../../crds/budget-period.ts';
import type { OperatorHandle } from '../src/operator.ts';
import {
  condition,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  eventually,
  getResource,
  installCrds,
  kc,
  newNamespace,
  operatorIdentity,
  startTestOperator,
  waitForCondition,
} from './support.ts';

const events = kc.makeApiClient(EventsV1Api);
let redis: Redis;
let namespace: string;
let operator: OperatorHandle;
/** Redis is shared by the whole test run: this file's keys carry a prefix of their own. */
const prefix = `op-test-${process.pid}:`;

beforeAll(async () => {
  await installCrds();
  redis = new Redis(inject('redisUrl'));
  namespace = await newNamespace('budget');
  const kubeconfig = await operatorIdentity(namespace);
  operator = await startTestOperator([namespace], kubeconfig, {
    INFERENCE_BUDGET_REDIS_URL: inject('redisUrl'),
    INFERENCE_GATEWAY_SETTINGS: JSON.stringify({ budgets: { keyPrefix: prefix } }),
    INFERENCE_BUDGET_REFRESH_S: '1',
  });
}, 120_000);

afterAll(async () => {
  await operator.stop();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await deleteNamespaces();
  await deleteClusterRoles();
});

const budget = (name: string, tenant: string) => ({
  apiVersion: 'inference.enis.io/v1alpha1',
  kind: 'TenantBudget',
  metadata: { name },
  spec: { tenant, period: 'monthly', limits: { costUSD: '2.50', tokens: 1_000_000 } },
});

/** Settles spend into the tenant's hash of this month, as the gateway's guard does. */
async function charge(tenant: string, usd: string, tokens: number): Promise<void> {
  const key = spendKey(prefix, tenant, periodAt('monthly', Date.now()));
  await redis.hset(key, { cost: usdToNano(usd), tokens, held_cost: 0, held_tokens: 0 });
}

async function statusShows(name: string, fields: Record<string, unknown>) {
  return eventually(async () => {
    const object = await getResource(namespace, 'TenantBudget', name);
    return Object.entries(fields).every(([k, v]) => object.status?.[k] === v) ? object : undefined;
  }, 30_000);
}

async function thresholdNotes(name: string): Promise<string[]> {
  const list = await events.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.regarding?.name === name && e.reason === 'BudgetThresholdCrossed')
    .map((e) => e.note ?? '')
    .sort();
}

async function gauge(tenant: string, limit: string): Promise<number | undefined> {
  const { values } = await operator.metrics.keyed.budgetUsedRatio.get();
  return values.find((v) => v.labels['tenant'] === tenant && v.labels['limit'] === limit)?.value;
}

describe('TenantBudget status from the spend in Redis', () => {
  it('shows settled spend, alerts at thresholds and turns WithinBudget False past the limit', async () => {
    const tenant = `acme-${process.pid}`;
    await createResource(namespace, budget('acme', tenant));

    // Nothing charged yet: the tenant has spent nothing, which is known, not assumed.
    const fresh = await statusShows('acme', { spentUSD: '0', spentTokens: 0, remainingUSD: '2.5' });
    expect(condition(fresh, 'WithinBudget')).toMatchObject({
      status: 'True',
      reason: 'WithinLimits',
    });
    expect(await thresholdNotes('acme')).toEqual([]);

    await charge(tenant, '1.3', 1000);
    const half = await statusShows('acme', { spentUSD: '1.3', remainingUSD: '1.2' });
    expect(condition(half, 'WithinBudget')?.status).toBe('True');
    expect(
      await eventually(async () => ((await gauge(tenant, 'cost')) === 0.52 ? true : undefined)),
    ).toBe(true);
    expect(await gauge(tenant, 'tokens')).toBe(0.001);
    await eventually(async () => ((await thresholdNotes('acme')).length === 1 ? true : undefined));
    expect(await thresholdNotes('acme')).toEqual([
      `Tenant ${tenant} used 50 % of its cost limit this period: 1.3 USD of 2.5 USD.`,
    ]);

    await charge(tenant, '2.6', 2000);
    const over = await waitForCondition(
      namespace,
      'TenantBudget',
      'acme',
      'WithinBudget',
      'False',
      'CostLimitReached',
    );
    expect(over.status).toMatchObject({ spentUSD: '2.6', spentTokens: 2000, remainingUSD: '0' });
    await eventually(async () => ((await thresholdNotes('acme')).length === 3 ? true : undefined));
    expect(await thresholdNotes('acme')).toEqual([
      `Tenant ${tenant} used 100 % of its cost limit this period: 2.6 USD of 2.5 USD.`,
      `Tenant ${tenant} used 50 % of its cost limit this period: 1.3 USD of 2.5 USD.`,
      `Tenant ${tenant} used 80 % of its cost limit this period: 2.6 USD of 2.5 USD.`,
    ]);
    expect(await gauge(tenant, 'cost')).toBe(1.04);

    // Refreshes that find the same spend write nothing and announce nothing again.
    const before = await getResource(namespace, 'TenantBudget', 'acme');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const after = await getResource(namespace, 'TenantBudget', 'acme');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await thresholdNotes('acme')).toHaveLength(3);
  }, 90_000);

  it('without Redis the operator shows no spend and says why', async () => {
    const other = await newNamespace('budget-noredis');
    const kubeconfig = await operatorIdentity(other);
    const plain = await startTestOperator([other], kubeconfig);
    try {
      await createResource(other, budget('b', `nobody-${process.pid}`));
      const unknown = await waitForCondition(
        other,
        'TenantBudget',
        'b',
        'WithinBudget',
        'Unknown',
        'SpendUnknown',
      );
      expect(condition(unknown, 'WithinBudget')?.message).toContain('INFERENCE_BUDGET_REDIS_URL');
      expect(unknown.status).not.toHaveProperty('spentUSD');
      expect(unknown.status).not.toHaveProperty('remainingUSD');
      expect(unknown.status?.['periodStart']).toBe(
        new Date(periodAt('monthly', Date.now()).start).toISOString().replace('.000Z', 'Z'),
      );
    } finally {
      await plain.stop();
    }
  }, 90_000);
});
