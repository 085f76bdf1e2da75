import type { RouteConfig, TargetConfig } from '../core/route.ts';
import type { ConfigSnapshot } from './snapshot.ts';

/** The name of the one target of every route a sandbox tenant sees. */
export const SANDBOX_TARGET = 'sandbox';

const derived = new WeakMap<ConfigSnapshot, Map<string, ConfigSnapshot>>();
const sandboxes = new WeakSet<ConfigSnapshot>();

/**
 * The snapshot `tenant` is served from: the served one, or, for a tenant that gateway.yaml
 * `sandbox.tenants` names, a copy of its own (docs/sandbox.md) in which every alias is routed
 * to the mock provider's `sandbox.model` (one target named `sandbox`, no credential, no base
 * URL, no TLS material, no fallback, no answer cache), the only budget is the tenant's own and
 * nothing has a price. Made once per served snapshot and tenant; the decision config is the
 * served one's, which names the sandbox tenants, so a receipt replays against the same files.
 */
export function snapshotFor(served: ConfigSnapshot, tenant: string): ConfigSnapshot {
  if (!served.gateway.sandbox.tenants.includes(tenant)) return served;
  let byTenant = derived.get(served);
  if (byTenant === undefined) {
    byTenant = new Map();
    derived.set(served, byTenant);
  }
  let sandbox = byTenant.get(tenant);
  if (sandbox === undefined) {
    sandbox = sandboxSnapshot(served, tenant);
    byTenant.set(tenant, sandbox);
  }
  return sandbox;
}

/** Whether `snapshot` is a sandbox tenant's (made by {@link snapshotFor}). */
export function isSandbox(snapshot: ConfigSnapshot): boolean {
  return sandboxes.has(snapshot);
}

function sandboxSnapshot(served: ConfigSnapshot, tenant: string): ConfigSnapshot {
  const { model } = served.gateway.sandbox;
  const routes = new Map<string, RouteConfig>();
  for (const [alias, route] of served.routes) routes.set(alias, sandboxRoute(route, model));
  const budget = served.budgets.get(tenant);
  const snapshot: ConfigSnapshot = {
    ...served,
    routes,
    budgets: new Map(budget === undefined ? [] : [[tenant, budget]]),
    pricing: { checksum: undefined, prices: [] },
  };
  sandboxes.add(snapshot);
  return snapshot;
}

function sandboxRoute(route: RouteConfig, model: string): RouteConfig {
  const target: TargetConfig = {
    name: SANDBOX_TARGET,
    provider: 'mock',
    model,
    timeoutMs: Math.max(...route.targets.map((each) => each.timeoutMs)),
    weight: 1,
    priority: 0,
  };
  return {
    alias: route.alias,
    targets: [target],
    fallbackOn: route.fallbackOn,
    retry: { ...route.retry, maxAttempts: 1 },
    circuitBreaker: route.circuitBreaker,
    midStreamFailure: 'Error',
    balance: 'Weighted',
  };
}
