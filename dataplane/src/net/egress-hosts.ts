/**
 * The egress policy of a config snapshot: the hosts its route targets call (a target's
 * `baseURL`, or its provider's public endpoint, as the registry builds them), the tracing
 * collector (gateway.yaml, or the OTLP variables, which win), `egress.allowHosts`; Redis from
 * REDIS_URL as infrastructure. The operator's NetworkPolicy opens the same route hosts.
 */
import { DEFAULT_CLUSTER_CIDRS } from '../../../crds/egress-settings.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { TargetConfig } from '../core/route.ts';
import { ANTHROPIC_BASE_URL } from '../providers/anthropic/anthropic.ts';
import { GROQ_BASE_URL } from '../providers/groq/groq.ts';
import { OPENAI_BASE_URL } from '../providers/openai/openai.ts';
import { buildPolicy, type EgressPolicy } from './egress-policy.ts';

const PUBLIC_ENDPOINTS: Partial<Record<TargetConfig['provider'], string>> = {
  openai: OPENAI_BASE_URL,
  anthropic: ANTHROPIC_BASE_URL,
  groq: GROQ_BASE_URL,
};

/** The hostname of a URL (brackets kept off IPv6), or undefined when it is not one. */
export function hostOf(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    const host = new URL(url).hostname;
    return host === '' ? undefined : host.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/** The host a target calls: its `baseURL`'s, or its provider's public endpoint's; none in process. */
export function targetHost(target: TargetConfig): string | undefined {
  return hostOf(target.baseURL ?? PUBLIC_ENDPOINTS[target.provider]);
}

/** Hosts a snapshot's route targets call; a `local` target without baseURL runs in process. */
export function targetHosts(snapshot: ConfigSnapshot): string[] {
  const hosts: string[] = [];
  for (const route of snapshot.routes.values()) {
    for (const target of route.targets) {
      const host = targetHost(target);
      if (host !== undefined) hosts.push(host);
    }
  }
  return hosts;
}

/** The policy for `snapshot` (undefined before the first good load: nothing but the basics). */
export function policyFor(
  snapshot: ConfigSnapshot | undefined,
  env: NodeJS.ProcessEnv,
): EgressPolicy {
  const egress = snapshot?.gateway.egress;
  const collector =
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ??
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] ??
    snapshot?.gateway.tracing.endpoint;
  const named = [
    ...(snapshot === undefined ? [] : targetHosts(snapshot)),
    ...[hostOf(collector)].filter((host) => host !== undefined),
    ...(egress?.allowHosts ?? []),
  ];
  return buildPolicy({
    airGapped: egress?.airGapped ?? false,
    hosts: named,
    infrastructure: [hostOf(env['REDIS_URL'])].filter((host) => host !== undefined),
    clusterCidrs: egress?.clusterCidrs ?? DEFAULT_CLUSTER_CIDRS,
  });
}
