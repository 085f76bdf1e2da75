/**
 * How the manager runs the MCPGateway controller: the gateways of a namespace decide together
 * (one per namespace); a change to a Secret one references (an index on the MCPGateway cache
 * finds them), to a ProviderRoute (its fallback names a route alias) or to the rendered
 * `inference-config` ConfigMap (its `mcp.yaml` says whether a gateway is served) reconciles
 * them. It renders nothing of its own (the namespace's gateway renders mcp.yaml). Its
 * observation reads what the dataplane reported of the servers (Redis, observe.ts), and it
 * comes back every report interval to read it again.
 */
import type { MCPGateway, MCPGatewayStatus } from '../../../crds/mcp-gateway.ts';
import { allInNamespace, referencing, renderedInto, watch } from '../handlers.ts';
import { mcpSecrets, SECRET_INDEX } from '../observe.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, MCPGateways, ProviderRoutes, Secrets } from '../runtime/resources.ts';
import {
  reconcileMCPGateway,
  type MCPGatewayObserved,
  type RenderedMcpGateway,
} from './mcp-gateway.ts';

export const registration: Registration<MCPGatewayObserved, MCPGatewayStatus> = {
  name: 'mcpgateway',
  for: MCPGateways,
  indexes: [
    { name: SECRET_INDEX, values: (gateway: MCPGateway & KubeObject) => mcpSecrets(gateway) },
  ],
  watches: [
    watch(MCPGateways, allInNamespace(MCPGateways)),
    watch(ProviderRoutes, allInNamespace(MCPGateways)),
    watch(Secrets, referencing(MCPGateways, SECRET_INDEX)),
    watch(ConfigMaps, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.config, MCPGateways)),
  ],
  observe: async (key, observer) => {
    const { namespace, name } = splitKey(key);
    const cache = observer.caches.of<MCPGateway & KubeObject>(MCPGateways);
    const gateways = cache.list(namespace);
    const gateway = cache.get(namespace, name);
    const routes = observer.parsedKey(namespace, GATEWAY_NAMES.config, 'routes.yaml') as
      { routes?: { alias: string }[] } | undefined;
    const mcp = observer.parsedKey(namespace, GATEWAY_NAMES.config, 'mcp.yaml') as
      { gateways?: RenderedMcpGateway[] } | undefined;
    const { settings } = observer;
    return {
      gateway,
      gateways,
      refs: observer.refsOf(namespace, [], gateways),
      aliases: new Set((routes?.routes ?? []).map((r) => r.alias)),
      airGapped: settings.airGapped,
      mcpEnabled: settings.mcp.enabled,
      renderedGateways: mcp?.gateways,
      reports:
        gateway === undefined || !settings.mcp.enabled
          ? { known: false, message: 'Not served.' }
          : await observer.mcpReports(name),
      statusIntervalS: settings.mcp.statusIntervalS,
      now: observer.now(),
    };
  },
  reconcile: reconcileMCPGateway,
};
