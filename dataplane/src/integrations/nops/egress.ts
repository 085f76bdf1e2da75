/**
 * A profile's egress (docs/agents.md): which targets of a route an agent's request may reach,
 * by provider and by host, and in air-gapped mode only in-cluster ones. Decided on the route
 * before any call, so a refused target is never dialled; the gateway's own egress guard
 * (net/) still checks every connection underneath.
 */
import type { AgentProfile } from '../../../../crds/agent-settings.ts';
import type { EgressSettings } from '../../../../crds/egress-settings.ts';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';
import { targetHost } from '../../net/egress-hosts.ts';
import { buildPolicy, checkHost, normalizeHost } from '../../net/egress-policy.ts';

/** Why a target is kept out: its provider, its host, or the air gap. */
export type EgressRefusal = 'provider_not_allowed' | 'host_not_allowed' | 'not_in_cluster';

export interface RefusedTarget {
  target: string;
  provider: string;
  /** The host it would call; absent for an in-process target. */
  host?: string;
  reason: EgressRefusal;
}

/** The route with the targets the profile may reach, and those it keeps out (in chain order). */
export function reachable(
  route: RouteConfig,
  egress: NonNullable<AgentProfile['egress']>,
  gateway: EgressSettings,
): { route: RouteConfig; refused: RefusedTarget[] } {
  const refused: RefusedTarget[] = [];
  const targets = route.targets.filter((target) => {
    const reason = refusal(target, egress, gateway);
    if (reason === undefined) return true;
    const host = targetHost(target);
    refused.push({
      target: target.name,
      provider: target.provider,
      ...(host === undefined ? {} : { host }),
      reason,
    });
    return false;
  });
  return { route: refused.length === 0 ? route : { ...route, targets }, refused };
}

function refusal(
  target: TargetConfig,
  egress: NonNullable<AgentProfile['egress']>,
  gateway: EgressSettings,
): EgressRefusal | undefined {
  if (egress.providers !== undefined && !egress.providers.includes(target.provider))
    return 'provider_not_allowed';
  const host = targetHost(target);
  // In process (mock, a local model without a baseURL): no connection to refuse.
  if (host === undefined) return undefined;
  if (egress.hosts !== undefined && !listed(egress.hosts, host)) return 'host_not_allowed';
  if (gateway.airGapped) {
    const policy = buildPolicy({
      airGapped: true,
      hosts: [],
      infrastructure: [],
      clusterCidrs: gateway.clusterCidrs,
    });
    if (!checkHost(policy, host).allowed) return 'not_in_cluster';
  }
  return undefined;
}

/** Whether `host` is one of `hosts`: exact, or below a `*.example.com` entry. */
function listed(hosts: readonly string[], host: string): boolean {
  const { hosts: exact, suffixes } = buildPolicy({
    airGapped: false,
    hosts,
    infrastructure: [],
    clusterCidrs: [],
  });
  const name = normalizeHost(host);
  return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
}
