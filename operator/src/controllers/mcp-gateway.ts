/**
 * MCPGateway: resolves which gateways the namespace's `mcp.yaml` carries (the chart's
 * `mcp.enabled`, the resource's `enabled`, one per namespace, its credentials resolved) and
 * reports Ready honestly: served only once it is in the rendered contract and the dataplane
 * has reported every server reachable (mcp-gateway-status.ts). The namespace's gateway reconcile
 * uses `resolveMcpGateways` too, so the status and the rendered config come from one decision.
 */
import { canonicalJson } from '../../../crds/canonical-json.ts';
import type { MCPGateway, MCPGatewaySpec, MCPGatewayStatus } from '../../../crds/mcp-gateway.ts';
import { destinationOfUrl } from '../render/egress.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import {
  reachabilityPolicy,
  serverEvents,
  serverStatuses,
  type McpReports,
} from './mcp-gateway-status.ts';
import { byAge, must, type NamespaceRefs, type ReconcileResult } from './types.ts';

/** One gateway of `mcp.yaml`, as the dataplane reads it (dataplane/src/config/contract.ts). */
export interface RenderedMcpGateway {
  name: string;
  spec: MCPGatewaySpec;
}

/** The chart's `mcp.enabled` (INFERENCE_MCP_ENABLED) and the resource's own switch. */
export function switchPolicy(gateway: MCPGateway, mcpEnabled: boolean): Verdict {
  if (!mcpEnabled) {
    return verdict(
      'False',
      'McpDisabled',
      "The deployment's mcp.enabled (INFERENCE_MCP_ENABLED) is false: no MCPGateway is rendered or served.",
    );
  }
  if (gateway.spec.enabled !== true) {
    return verdict(
      'False',
      'Disabled',
      'spec.enabled is false: the gateway is not rendered and /mcp/' +
        `${gateway.metadata.name} answers 404.`,
    );
  }
  return verdict('True', 'Enabled', 'The MCP gateway is enabled.');
}

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

/** How one gateway fares in its namespace. */
export interface McpResolution {
  /** What mcp.yaml carries for it; undefined when it is left out. */
  rendered: RenderedMcpGateway | undefined;
  /** Why it is left out, or the first of its problems (fallback, egress); True: none. */
  verdict: Verdict;
}

/**
 * Every gateway of a namespace, resolved: rendered when switched on, the namespace's one and
 * its credentials resolved (the dataplane refuses a whole snapshot whose credential is
 * missing). A fallback nobody serves or a server egress blocks still renders: its other tools
 * serve, and Ready says what does not.
 */
export function resolveMcpGateways(
  gateways: readonly MCPGateway[],
  refs: NamespaceRefs,
  aliases: ReadonlySet<string>,
  airGapped: boolean,
  mcpEnabled: boolean,
): Map<string, McpResolution> {
  const enabled = gateways.filter((g) => g.spec.enabled === true);
  const out = new Map<string, McpResolution>();
  for (const gateway of gateways) {
    const gate = firstProblem(
      [
        switchPolicy(gateway, mcpEnabled),
        singletonPolicy(gateway, enabled),
        mcpCredentialsPolicy(gateway, refs),
      ],
      verdict('True', 'Renderable', 'Rendered into mcp.yaml.'),
    );
    out.set(gateway.metadata.name, {
      rendered:
        gate.status === 'True' ? { name: gateway.metadata.name, spec: gateway.spec } : undefined,
      verdict: firstProblem(
        [gate, fallbackPolicy(gateway, aliases), mcpEgressPolicy(gateway, airGapped)],
        gate,
      ),
    });
  }
  return out;
}

/** Whether the rendered mcp.yaml carries this gateway as it is now. */
export function mcpRenderedPolicy(
  wanted: RenderedMcpGateway,
  rendered: readonly RenderedMcpGateway[] | undefined,
): Verdict {
  const current = rendered?.find((g) => g.name === wanted.name);
  if (current !== undefined && canonicalJson(current.spec) === canonicalJson(wanted.spec)) {
    return verdict(
      'True',
      'Rendered',
      'The gateway is in the config contract the dataplane reads.',
    );
  }
  return verdict(
    'Unknown',
    'RenderPending',
    'The gateway is not yet in the rendered config contract (mcp.yaml).',
  );
}

export interface MCPGatewayObserved {
  gateway: MCPGateway | undefined;
  gateways: readonly MCPGateway[];
  refs: NamespaceRefs;
  /** Aliases of the routes the gateway serves. */
  aliases: ReadonlySet<string>;
  airGapped: boolean;
  /** The chart's mcp.enabled. */
  mcpEnabled: boolean;
  /** The gateways of the rendered mcp.yaml; undefined before the first render or without one. */
  renderedGateways: readonly RenderedMcpGateway[] | undefined;
  /** What the dataplane reported of this gateway's servers. */
  reports: McpReports;
  /** How often the dataplane reports, and this reconcile reads again, in seconds. */
  statusIntervalS: number;
  now: Date;
}

export function reconcileMCPGateway(o: MCPGatewayObserved): ReconcileResult<MCPGatewayStatus> {
  const gateway = o.gateway;
  if (gateway === undefined) return { desired: [] };
  const resolution = must(
    resolveMcpGateways(
      o.gateways.some((g) => g.metadata.name === gateway.metadata.name)
        ? o.gateways
        : [...o.gateways, gateway],
      o.refs,
      o.aliases,
      o.airGapped,
      o.mcpEnabled,
    ).get(gateway.metadata.name),
    `the resolution of ${gateway.metadata.name}`,
  );
  const rendered = resolution.rendered;
  const servers = rendered === undefined ? undefined : serverStatuses(gateway, o.reports);
  let ready = resolution.verdict;
  if (rendered !== undefined) {
    const reachable = reachabilityPolicy(gateway, o.reports, o.statusIntervalS);
    ready = firstProblem(
      [resolution.verdict, mcpRenderedPolicy(rendered, o.renderedGateways)],
      reachable,
    );
  }
  const generation = gateway.metadata.generation;
  const tools = servers?.reduce((sum, s) => sum + s.tools, 0);
  const status: MCPGatewayStatus = {
    conditions: setConditions(gateway.status?.conditions, { Ready: ready }, generation, o.now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(servers === undefined ? {} : { servers }),
    ...(tools === undefined ? {} : { tools }),
  };
  return {
    desired: [],
    status,
    events: serverEvents(gateway.status?.servers, servers),
    // The reports change with the world (a server goes down), not with any object.
    ...(rendered === undefined ? {} : { requeueAfterMs: o.statusIntervalS * 1000 }),
  };
}
