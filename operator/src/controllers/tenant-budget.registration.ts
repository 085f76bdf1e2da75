/**
 * How the manager runs the TenantBudget controller: the budgets of a namespace decide together
 * (one tenant, one winner), and the rendered `inference-config` ConfigMap, whose `budgets.yaml`
 * says whether a budget is applied. It renders nothing of its own. Its observation reads the
 * tenant's spend in the current period from Redis (observe.ts), and it comes back every refresh
 * interval to read it again.
 */
import { periodAt } from '../../../crds/budget-period.ts';
import type { TenantBudget, TenantBudgetStatus } from '../../../crds/tenant-budget.ts';
import { allInNamespace, renderedInto, watch } from '../handlers.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, TenantBudgets } from '../runtime/resources.ts';
import { reconcileTenantBudget, type TenantBudgetObserved } from './tenant-budget.ts';

export const registration: Registration<TenantBudgetObserved, TenantBudgetStatus> = {
  name: 'tenantbudget',
  for: TenantBudgets,
  watches: [
    watch(TenantBudgets, allInNamespace(TenantBudgets)),
    watch(ConfigMaps, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.config, TenantBudgets)),
  ],
  observe: async (key, observer) => {
    const { namespace, name } = splitKey(key);
    const budgets = observer.caches.of<TenantBudget & KubeObject>(TenantBudgets);
    const rendered = observer.parsedKey(namespace, GATEWAY_NAMES.config, 'budgets.yaml') as
      { budgets?: { tenant: string }[] } | undefined;
    const budget = budgets.get(namespace, name);
    const now = observer.now();
    const spend =
      budget === undefined
        ? { known: false as const, message: 'The budget is gone.' }
        : await observer.spend(
            budget.spec.tenant,
            periodAt(budget.spec.period ?? 'monthly', now.getTime()),
          );
    return {
      budget,
      budgets: budgets.list(namespace),
      renderedBudgets:
        rendered?.budgets === undefined
          ? undefined
          : new Map(rendered.budgets.map((b) => [b.tenant, b])),
      spend,
      refreshMs: observer.spendRefreshMs,
      now,
    };
  },
  reconcile: reconcileTenantBudget,
};
