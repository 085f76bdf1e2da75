/**
 * What the namespace's MCPGateways add to its config contract: `mcp.yaml` (the dataplane's
 * `McpFile`: the deployment switch, how often the gateways report their servers, and the
 * gateways `resolveMcpGateways` renders), the servers' credentials (`<secret>__<key>`, copied
 * from the referenced Secrets, never from a caller), and the servers' destinations for the
 * egress policy. With the chart's mcp.enabled false there is no mcp.yaml at all: the dataplane
 * then serves no MCP and connects nowhere.
 */
import type { MCPGateway } from '../../../crds/mcp-gateway.ts';
import { destinationOfUrl, type Destination } from '../render/egress.ts';
import type { McpSettings } from '../settings.ts';
import { resolveMcpGateways, type RenderedMcpGateway } from './mcp-gateway.ts';
import type { NamespaceRefs } from './types.ts';

export interface McpContract {
  /** mcp.yaml's content; undefined: the file is left out. */
  file: { enabled: true; statusIntervalS: number; gateways: RenderedMcpGateway[] } | undefined;
  /** `<secret>__<key>` → the Secret's base64 value. */
  credentials: Map<string, string>;
  destinations: Destination[];
}

export function mcpContract(
  gateways: readonly MCPGateway[],
  refs: NamespaceRefs,
  aliases: ReadonlySet<string>,
  airGapped: boolean,
  settings: McpSettings | undefined,
): McpContract {
  const credentials = new Map<string, string>();
  if (settings?.enabled !== true) return { file: undefined, credentials, destinations: [] };
  const rendered = [...resolveMcpGateways(gateways, refs, aliases, airGapped, true).values()]
    .flatMap((r) => (r.rendered === undefined ? [] : [r.rendered]))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const destinations: Destination[] = [];
  for (const { spec } of rendered) {
    for (const server of spec.servers ?? []) {
      const ref = server.credentials?.secretKeyRef;
      const value = ref === undefined ? undefined : refs.secrets.get(ref.name)?.[ref.key];
      if (ref !== undefined && value !== undefined)
        credentials.set(`${ref.name}__${ref.key}`, value);
      const destination = destinationOfUrl(server.url);
      if (destination !== undefined) destinations.push(destination);
    }
  }
  return {
    file: { enabled: true, statusIntervalS: settings.statusIntervalS, gateways: rendered },
    credentials,
    destinations,
  };
}
