/**
 * How the manager runs the ProviderRoute controller: the routes of a namespace decide together
 * (one alias, one winner); a change to a Secret, a ConfigMap or an InferenceModel that a route
 * references reconciles that route (indexes on the route cache find them), and so does the
 * rendered `inference-config` ConfigMap, whose `routes.yaml` says whether it is served.
 */
import type { ProviderRoute, ProviderRouteStatus } from '../../../crds/provider-route.ts';
import { allInNamespace, referencing, renderedInto, watch } from '../handlers.ts';
import {
  CONFIGMAP_INDEX,
  MODEL_INDEX,
  routeConfigMaps,
  routeModels,
  routeSecrets,
  SECRET_INDEX,
  type Observer,
} from '../observe.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, InferenceModels, ProviderRoutes, Secrets } from '../runtime/resources.ts';
import { reconcileProviderRoute, type ProviderRouteObserved } from './provider-route.ts';
import type { GatewayClientFiles } from './upstream-tls.ts';

type Route = ProviderRoute & KubeObject;

export const registration: Registration<ProviderRouteObserved, ProviderRouteStatus> = {
  name: 'providerroute',
  for: ProviderRoutes,
  indexes: [
    { name: SECRET_INDEX, values: (route: Route) => routeSecrets(route) },
    { name: CONFIGMAP_INDEX, values: (route: Route) => routeConfigMaps(route) },
    { name: MODEL_INDEX, values: (route: Route) => routeModels(route) },
  ],
  watches: [
    watch(ProviderRoutes, allInNamespace(ProviderRoutes)),
    watch(InferenceModels, referencing(ProviderRoutes, MODEL_INDEX)),
    watch(Secrets, referencing(ProviderRoutes, SECRET_INDEX)),
    watch(ConfigMaps, referencing(ProviderRoutes, CONFIGMAP_INDEX)),
    watch(ConfigMaps, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.config, ProviderRoutes)),
    // A renewed gateway client certificate: routes that present it show its new expiry.
    watch(Secrets, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.tlsClient, ProviderRoutes)),
  ],
  observe: (key, observer) => {
    const { namespace, name } = splitKey(key);
    const cache = observer.caches.of<Route>(ProviderRoutes);
    const routes = cache.list(namespace);
    const rendered = observer.parsedKey(namespace, GATEWAY_NAMES.config, 'routes.yaml') as
      { routes?: { alias: string }[] } | undefined;
    return {
      route: cache.get(namespace, name),
      routes,
      refs: observer.refsOf(namespace, routes),
      airGapped: observer.settings.airGapped,
      renderedRoutes:
        rendered?.routes === undefined
          ? undefined
          : new Map(rendered.routes.map((r) => [r.alias, r])),
      configChecksum: observer.configChecksum(namespace),
      gatewayClient: gatewayClientFiles(observer, namespace),
      now: observer.now(),
    };
  },
  reconcile: reconcileProviderRoute,
};

/** The operator-issued client certificate Secret, decoded; only when the operator issues. */
function gatewayClientFiles(observer: Observer, namespace: string): GatewayClientFiles | undefined {
  if (observer.settings.tls.kind !== 'operator') return undefined;
  return observer.secretFiles(namespace, GATEWAY_NAMES.tlsClient);
}
