/**
 * How the manager runs the MCPGateway controller: the gateways of a namespace decide together
 * (one per namespace); a change to a Secret one references (an index on the MCPGateway cache
 * finds them), to a ProviderRoute (its fallback names a route alias) or to the rendered
 * `inference-config` ConfigMap reconciles them. It renders nothing of its own.
 */
import type { MCPGateway, MCPGatewayStatus } from '../../../crds/mcp-gateway.ts';
import { allInNamespace, referencing, renderedInto, watch } from '../handlers.ts';
import { mcpSecrets, SECRET_INDEX } from '../observe.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, MCPGateways, ProviderRoutes, Secrets } from '../runtime/resources.ts';
import { reconcileMCPGateway, type MCPGatewayObserved } from './mcp-gateway.ts';

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
  observe: (key, observer) => {
    const { namespace, name } = splitKey(key);
    const cache = observer.caches.of<MCPGateway & KubeObject>(MCPGateways);
    const gateways = cache.list(namespace);
    const rendered = observer.parsedKey(namespace, GATEWAY_NAMES.config, 'routes.yaml') as
      { routes?: { alias: string }[] } | undefined;
    return {
      gateway: cache.get(namespace, name),
      gateways,
      refs: observer.refsOf(namespace, [], gateways),
      aliases: new Set((rendered?.routes ?? []).map((r) => r.alias)),
      airGapped: observer.settings.airGapped,
      now: observer.now(),
    };
  },
  reconcile: reconcileMCPGateway,
};
