import { createHash } from 'node:crypto';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';

export interface BalanceInputs {
  /** Uniform in [0, 1). */
  random: () => number;
  /** Requests in flight on a target (LeastOutstanding). */
  outstanding: (target: TargetConfig) => number;
  /** The request's session key (Sticky); without one, Sticky is Weighted. */
  affinity?: string | undefined;
}

/**
 * The order in which a request tries a route's targets: by priority, lower first, and within a
 * priority the route's `balance` decides: `Weighted`, a weighted random order (each target
 * first with probability weight / sum of the weights); `LeastOutstanding`, fewest requests in
 * flight first (ties in weighted random order); `Sticky`, a weighted rendezvous hash of the
 * session key, so one session keeps its target (and its provider's prompt cache) while the
 * targets stay the same. The chain then walks the order: an unhealthy target is skipped for
 * the next one, a target of the same priority first.
 */
export function targetOrder(route: RouteConfig, inputs: BalanceInputs): TargetConfig[] {
  const groups = new Map<number, TargetConfig[]>();
  for (const target of route.targets) {
    const group = groups.get(target.priority);
    if (group === undefined) groups.set(target.priority, [target]);
    else group.push(target);
  }
  const order: TargetConfig[] = [];
  for (const priority of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(priority) ?? [];
    order.push(...(group.length === 1 ? group : balanced(group, route.balance, inputs)));
  }
  return order;
}

function balanced(
  group: readonly TargetConfig[],
  balance: RouteConfig['balance'],
  inputs: BalanceInputs,
): TargetConfig[] {
  // Weighted random order (Efraimidis–Spirakis): sort by u^(1/w), largest first.
  const keyed = group.map((target) => ({
    target,
    key:
      balance === 'Sticky' && inputs.affinity !== undefined
        ? rendezvous(inputs.affinity, target)
        : Math.log(1 - inputs.random()) / target.weight,
    outstanding: balance === 'LeastOutstanding' ? inputs.outstanding(target) : 0,
  }));
  keyed.sort((a, b) => a.outstanding - b.outstanding || b.key - a.key);
  return keyed.map(({ target }) => target);
}

/** Weighted rendezvous score of a target for a key: ln(h) / w, h uniform in (0, 1). */
function rendezvous(key: string, target: TargetConfig): number {
  const digest = createHash('sha256').update(key).update('\u0000').update(target.name).digest();
  const h = (Number(digest.readBigUInt64BE(0) >> 11n) + 0.5) / 2 ** 53;
  return Math.log(h) / target.weight;
}
