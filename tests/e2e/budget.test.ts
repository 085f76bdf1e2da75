// A tenant's budget end to end: the operator (with a pricing file and the budget Redis) renders
// the prices and the TenantBudget into the contract, the dataplane on the projected directory
// charges each answer into Redis until the cost limit answers 402 BUDGET_EXCEEDED, and the
// operator, reading the same Redis, shows that spend in the TenantBudget's status (the same
// figure the dataplane's usage endpoint gives), WithinBudget False and a BudgetThresholdCrossed
// Event.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { eventually, resource, startLoop, type Loop } from './loop.ts';
import { condition, getResource } from './resources.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

/**
 * Ten one-word chunks: with `max_tokens` 10 the mock produces exactly 10 output tokens. Input
 * is free and output costs 1 USD per million tokens (1,000 nano-USD a token), so a request's
 * reservation (10 × 1,000) equals its charge, and five of them settle exactly the 50 µUSD limit.
 */
const MODEL = 'fixed?text=spend&chunks=10';
const MAX_TOKENS = 10;
const PER_REQUEST_USD = 0.00001;
const LIMIT_USD = '0.00005';
const ADMITTED = 5;
const TENANT = 'spender';
const prices: Price[] = [
  {
    provider: 'mock',
    model: MODEL,
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0',
    output: '1',
  },
];

interface Usage {
  spent: { cost_usd: string; tokens: number };
  reserved: { cost_usd: string; tokens: number };
  remaining: { cost_usd?: string };
}

let redis: RedisServer | undefined;
let dir: string | undefined;
let loop: Loop | undefined;
const running = (): Loop => {
  if (loop === undefined) throw new Error('The loop did not start.');
  return loop;
};

describe.skipIf(clusterOff)('a TenantBudget end to end', () => {
  beforeAll(async () => {
    // A Redis of its own: the suite's shared one also holds other files' spend.
    const server = await startRedis();
    redis = server;
    dir = await mkdtemp(join(tmpdir(), 'e2e-pricing-'));
    const pricingFile = join(dir, 'pricing.yaml');
    await writeFile(pricingFile, stringify({ checksum: pricingChecksum(prices), prices }));
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      redisUrl: server.url,
      prefix: 'e2e-budget',
      operatorEnv: {
        INFERENCE_PRICING_FILE: pricingFile,
        INFERENCE_BUDGET_REDIS_URL: server.url,
        INFERENCE_BUDGET_REFRESH_S: '1',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await loop?.stop();
    await redis?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('charges requests until 402, and the TenantBudget shows the spend the dataplane reports', async () => {
    const loop = running();
    await loop.apply([
      resource('ProviderRoute', 'spend', {
        alias: 'spend',
        targets: [{ name: 'mock', provider: 'mock', model: MODEL }],
      }),
      resource('TenantBudget', TENANT, {
        tenant: TENANT,
        period: 'monthly',
        limits: { costUSD: LIMIT_USD },
      }),
    ]);
    // The dataplane serves the route, the budget and the price once the contract is projected.
    await eventually(
      () => {
        const snapshot = loop.app.services.config.current;
        return Promise.resolve(
          snapshot?.routes.has('spend') === true && snapshot.budgets.has(TENANT) ? true : undefined,
        );
      },
      20_000,
      20,
    );
    const token = await loop.token({ tenant: TENANT, scopes: ['inference:invoke', 'usage:read'] });

    const body = {
      model: 'spend',
      messages: [{ role: 'user', content: 'hello' }],
      parameters: { max_tokens: MAX_TOKENS },
    };
    const statuses: number[] = [];
    let refusal: { error?: { code?: string; details?: { limit?: string } } } | undefined;
    while (statuses.length < 3 * ADMITTED) {
      const response = await loop.post('/api/v1/inference', body, token);
      statuses.push(response.status);
      if (response.status === 402) {
        refusal = (await response.json()) as typeof refusal;
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        break;
      }
      expect(response.status, await response.text()).toBe(200);
      expect(Number(response.headers.get('x-inference-cost-usd'))).toBe(PER_REQUEST_USD);
    }
    expect(statuses).toEqual([...Array<number>(ADMITTED).fill(200), 402]);
    expect(refusal?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { limit: 'cost' } });

    const response = await fetch(`${loop.url}/api/v1/tenants/${TENANT}/usage`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() },
    });
    expect(response.status).toBe(200);
    const usage = (await response.json()) as Usage;
    expect(usage.spent.cost_usd).toBe(LIMIT_USD);
    expect(usage.reserved).toEqual({ cost_usd: '0', tokens: 0 });

    // The operator reads the same Redis every second: the status catches up with the spend.
    const budget = await eventually(
      async () => {
        const object = await getResource(loop, 'TenantBudget', TENANT);
        return condition(object, 'WithinBudget')?.status === 'False' ? object : undefined;
      },
      15_000,
      100,
    );
    expect(Number(budget.status?.['spentUSD'])).toBeGreaterThan(0);
    expect(budget.status?.['spentUSD']).toBe(usage.spent.cost_usd);
    expect(budget.status?.['spentTokens']).toBeGreaterThan(0);
    expect(budget.status?.['spentTokens']).toBe(usage.spent.tokens);
    expect(budget.status?.['remainingUSD']).toBe('0');
    expect(condition(budget, 'WithinBudget')).toMatchObject({
      status: 'False',
      reason: 'CostLimitReached',
    });

    const kc = new KubeConfig();
    kc.loadFromFile(loop.adminKubeconfig);
    const events = kc.makeApiClient(EventsV1Api);
    const notes = await eventually(
      async () => {
        const list = await events.listNamespacedEvent({ namespace: loop.namespace });
        const crossed = list.items.filter(
          (e) =>
            e.regarding?.kind === 'TenantBudget' &&
            e.regarding.name === TENANT &&
            e.reason === 'BudgetThresholdCrossed' &&
            e.type === 'Warning',
        );
        const notes = crossed.map((e) => e.note ?? '');
        // Each threshold is its own event; the lower ones can land first.
        return notes.some((note) => note.includes('used 100 %')) ? notes : undefined;
      },
      10_000,
      100,
    );
    expect(notes).toContain(
      `Tenant ${TENANT} used 100 % of its cost limit this period: ${LIMIT_USD} USD of ${LIMIT_USD} USD.`,
    );
  });
});
