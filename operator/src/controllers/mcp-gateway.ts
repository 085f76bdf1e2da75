/**
 * MCPGateway: validated and reported. The dataplane serves MCP from the contract's `mcp.yaml`
 * (docs/mcp.md), which the operator does not render yet, so nothing is rendered for it; Ready
 * says whether its references hold.
 */
import type { MCPGateway, MCPGatewayStatus } from '../../../crds/mcp-gateway.ts';
import { destinationOfUrl } from '../render/egress.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import { byAge, type NamespaceRefs, type ReconcileResult } from './types.ts';

/** One enabled MCPGateway per namespace: the oldest. */
export function singletonPolicy(gateway: MCPGateway, enabled: readonly MCPGateway[]): Verdict {
  const winner = [...enabled].sort(byAge)[0];
  if (winner === undefined || winner.metadata.name === gateway.metadata.name) {
    return verdict('True', 'Singleton', 'The only enabled MCPGateway of the namespace.');
  }
  return verdict(
    'False',
    'MultipleGateways',
    `MCPGateway ${winner.metadata.name} is older and also enabled; a namespace has one MCP gateway.`,
  );
}

export function mcpCredentialsPolicy(gateway: MCPGateway, refs: NamespaceRefs): Verdict {
  for (const server of gateway.spec.servers ?? []) {
    const ref = server.credentials?.secretKeyRef;
    if (ref === undefined) continue;
    const data = refs.secrets.get(ref.name);
    if (data === undefined) {
      return verdict(
        'False',
        'SecretNotFound',
        `Server ${server.name} needs Secret ${ref.name} (key ${ref.key}), which does not exist.`,
      );
    }
    if (data[ref.key] === undefined) {
      return verdict(
        'False',
        'SecretKeyNotFound',
        `Server ${server.name} needs key ${ref.key} of Secret ${ref.name}, which has no such key.`,
      );
    }
  }
  return verdict('True', 'CredentialsResolved', 'Every credential Secret key exists.');
}

export function fallbackPolicy(gateway: MCPGateway, aliases: ReadonlySet<string>): Verdict {
  const route = gateway.spec.fallback?.route;
  if (route === undefined || aliases.has(route)) {
    return verdict(
      'True',
      'FallbackResolved',
      route === undefined ? 'No fallback route.' : `Falls back to ${route}.`,
    );
  }
  return verdict(
    'False',
    'FallbackRouteNotFound',
    `The fallback route ${route} is not served: no rendered ProviderRoute has that alias.`,
  );
}

export function mcpEgressPolicy(gateway: MCPGateway, airGapped: boolean): Verdict {
  const external = (gateway.spec.servers ?? []).flatMap((s) => {
    const destination = destinationOfUrl(s.url);
    return destination === undefined || destination.type === 'in-cluster'
      ? []
      : [`${s.name} (${destination.host}:${destination.port})`];
  });
  if (!airGapped || external.length === 0)
    return verdict('True', 'EgressAllowed', 'Egress to the servers is allowed.');
  return verdict(
    'False',
    'EgressBlocked',
    `The operator runs air-gapped: server(s) ${external.join(', ')} are outside the cluster.`,
  );
}

export interface MCPGatewayObserved {
  gateway: MCPGateway | undefined;
  gateways: readonly MCPGateway[];
  refs: NamespaceRefs;
  /** Aliases of the routes the gateway serves. */
  aliases: ReadonlySet<string>;
  airGapped: boolean;
  now: Date;
}

export function reconcileMCPGateway(o: MCPGatewayObserved): ReconcileResult<MCPGatewayStatus> {
  const gateway = o.gateway;
  if (gateway === undefined) return { desired: [] };
  const ready =
    gateway.spec.enabled !== true
      ? verdict('True', 'Disabled', 'The MCP gateway is disabled; nothing is rendered for it.')
      : firstProblem(
          [
            singletonPolicy(
              gateway,
              o.gateways.filter((g) => g.spec.enabled === true),
            ),
            mcpCredentialsPolicy(gateway, o.refs),
            fallbackPolicy(gateway, o.aliases),
            mcpEgressPolicy(gateway, o.airGapped),
          ],
          verdict(
            'True',
            'Validated',
            'Servers, credentials and fallback are valid. The operator does not render mcp.yaml yet, so nothing is rendered.',
          ),
        );
  const generation = gateway.metadata.generation;
  return {
    desired: [],
    status: {
      conditions: setConditions(gateway.status?.conditions, { Ready: ready }, generation, o.now),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    },
  };
}
