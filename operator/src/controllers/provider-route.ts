/**
 * ProviderRoute: resolves a route's references (model ids from ConfigMaps, local models, the
 * gateway's environment, credential Secrets) into the entry the gateway's routes.yaml carries,
 * and reports Ready and ResolvedRefs. The namespace's gateway reconcile uses `resolveRoutes`
 * too, so the status and the rendered config come from one decision.
 */
import { canonicalJson } from '../../../crds/canonical-json.ts';
import type {
  ProviderRoute,
  ProviderRouteSpec,
  ProviderRouteStatus,
  RouteTarget,
} from '../../../crds/provider-route.ts';
import { destinationOf } from '../render/egress.ts';
import { modelEndpoint } from '../render/model-server.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import { byAge, must, type NamespaceRefs, type ReconcileResult } from './types.ts';
import {
  modelServesTls,
  resolveTargetTls,
  upstreamTlsPolicy,
  type GatewayClientFiles,
  type UpstreamTlsContext,
} from './upstream-tls.ts';

/** How one route fares in its namespace. */
export interface RouteResolution {
  /** The spec as routes.yaml carries it; undefined when the route is left out. */
  rendered: ProviderRouteSpec | undefined;
  alias: Verdict;
  modelRefs: Verdict;
  credentials: Verdict;
  egress: Verdict;
  /** UpstreamTLSReady; undefined when no target has `tls`. */
  upstreamTls: Verdict | undefined;
  /** The earliest expiry of the route's upstream certificates, epoch ms. */
  upstreamTlsExpiryMs: number | undefined;
  /** `mock/echo → openai/gpt-4o-mini`, for the printer column. */
  chain: string;
}

// --- policies ---------------------------------------------------------------------------------

/** Two routes may not serve one alias: the oldest keeps it. */
export function aliasPolicy(route: ProviderRoute, winner: ProviderRoute): Verdict {
  if (winner.metadata.name === route.metadata.name) {
    return verdict('True', 'AliasAvailable', `Serves the alias ${route.spec.alias}.`);
  }
  return verdict(
    'False',
    'AliasConflict',
    `The alias ${route.spec.alias} is already served by the older ProviderRoute ${winner.metadata.name}; this route is not rendered. Rename one alias.`,
  );
}

/** Every target's model id can be resolved: from a ConfigMap key, the gateway's env, a local model. */
export function modelRefsPolicy(route: ProviderRoute, refs: NamespaceRefs): Verdict {
  for (const target of route.spec.targets) {
    const fromMap = target.modelFrom?.configMapKeyRef;
    if (fromMap !== undefined) {
      const data = refs.configMaps.get(fromMap.name);
      if (data === undefined) {
        return verdict(
          'False',
          'ConfigMapNotFound',
          `Target ${target.name} reads its model from ConfigMap ${fromMap.name} (key ${fromMap.key}), which does not exist in namespace ${route.metadata.namespace ?? ''}.`,
        );
      }
      const value = data[fromMap.key];
      if (value === undefined || value.trim() === '') {
        return verdict(
          'False',
          'ConfigMapKeyNotFound',
          `Target ${target.name} reads its model from key ${fromMap.key} of ConfigMap ${fromMap.name}, which has no such key (or it is empty).`,
        );
      }
    }
    const fromEnv = target.modelFrom?.env;
    if (fromEnv !== undefined && (refs.gatewayEnv[fromEnv] ?? '') === '') {
      return verdict(
        'False',
        'EnvNotSet',
        `Target ${target.name} reads its model from the gateway's environment variable ${fromEnv}, which the operator's settings (INFERENCE_GATEWAY_ENV) do not set.`,
      );
    }
    if (target.provider === 'local' && target.baseURL === undefined) {
      const model = resolvedModel(target, refs);
      if (model !== undefined && !refs.models.has(model)) {
        return verdict(
          'False',
          'InferenceModelNotFound',
          `Target ${target.name} uses the local model ${model}, but no InferenceModel ${model} exists in namespace ${route.metadata.namespace ?? ''}.`,
        );
      }
    }
  }
  return verdict('True', 'ModelRefsResolved', 'Every target has a model.');
}

/** Every credential names a Secret key that exists. */
export function credentialsPolicy(route: ProviderRoute, refs: NamespaceRefs): Verdict {
  for (const target of route.spec.targets) {
    const ref = target.credentials?.secretKeyRef;
    if (ref === undefined) continue;
    const data = refs.secrets.get(ref.name);
    if (data === undefined) {
      return verdict(
        'False',
        'SecretNotFound',
        `Target ${target.name} needs Secret ${ref.name} (key ${ref.key}), which does not exist in namespace ${route.metadata.namespace ?? ''}. The route is rendered without that credential until it appears.`,
      );
    }
    if (data[ref.key] === undefined) {
      return verdict(
        'False',
        'SecretKeyNotFound',
        `Target ${target.name} needs key ${ref.key} of Secret ${ref.name}, which has no such key. The route is rendered without that credential until it appears.`,
      );
    }
  }
  return verdict('True', 'CredentialsResolved', 'Every credential Secret key exists.');
}

/**
 * In air-gapped mode, no target may need a host outside the cluster: a public name or an IP
 * literal (the egress policy opens neither). The message names each target and its host, and
 * says whether the rest of the chain is served (renderRouteSpec leaves those targets out).
 */
export function egressPolicy(route: ProviderRoute, airGapped: boolean): Verdict {
  if (!airGapped) return verdict('True', 'EgressAllowed', 'Egress to the targets is allowed.');
  const external = route.spec.targets.flatMap((t) => {
    const destination = destinationOf(t);
    return destination === undefined || destination.type === 'in-cluster'
      ? []
      : [`${t.name} (${destination.host}:${destination.port})`];
  });
  if (external.length === 0)
    return verdict('True', 'EgressAllowed', 'Every target is in the cluster.');
  const served =
    external.length === route.spec.targets.length
      ? 'the route is not served'
      : 'the chain is served without them';
  return verdict(
    'False',
    'EgressBlocked',
    `The operator runs air-gapped: target(s) ${external.join(', ')} need hosts outside the cluster, which the gateway's egress policy does not allow; ${served}.`,
  );
}

// --- resolution -------------------------------------------------------------------------------

function resolvedModel(target: RouteTarget, refs: NamespaceRefs): string | undefined {
  if (target.model !== undefined) return target.model;
  const fromMap = target.modelFrom?.configMapKeyRef;
  if (fromMap !== undefined) return refs.configMaps.get(fromMap.name)?.[fromMap.key]?.trim();
  return undefined;
}

/**
 * The spec routes.yaml carries: ConfigMap model references resolved to `model`, local targets
 * pointed at their model server's Service. `modelFrom.env` stays: the gateway reads its env.
 */
/**
 * The route as the contract carries it: models resolved, local models at their Service. Air-gapped,
 * targets outside the cluster are left out of the chain (EgressBlocked names them); undefined
 * when none is left, so the route is not served at all.
 */
export function renderRouteSpec(
  route: ProviderRoute,
  refs: NamespaceRefs,
  airGapped: boolean,
  tls: UpstreamTlsContext,
): ProviderRouteSpec | undefined {
  const all = route.spec.targets.map((target): RouteTarget => {
    const { modelFrom, ...rest } = target;
    let out: RouteTarget = { ...rest };
    if (modelFrom?.configMapKeyRef !== undefined)
      out = { ...out, model: resolvedModel(target, refs) ?? '' };
    else if (modelFrom !== undefined) out = { ...out, modelFrom };
    if (target.provider === 'local' && target.baseURL === undefined && out.model !== undefined) {
      const namespace = route.metadata.namespace ?? '';
      out = { ...out, baseURL: modelEndpoint(namespace, out.model, modelServesTls(target, refs)) };
    }
    return out;
  });
  // TLS is judged on the target as declared: a local target's rendered baseURL is its Service.
  const targets = all.filter((target, index) => {
    const declared = route.spec.targets[index];
    return (
      !(airGapped && outsideCluster(target)) &&
      (declared === undefined || resolveTargetTls(declared, refs, tls).ok)
    );
  });
  return targets.length === 0 ? undefined : { ...route.spec, targets };
}

/** A target that needs a host outside the cluster: a public name or an IP literal. */
function outsideCluster(target: Pick<RouteTarget, 'provider' | 'baseURL'>): boolean {
  const destination = destinationOf(target);
  return destination !== undefined && destination.type !== 'in-cluster';
}

function chainOf(route: ProviderRoute): string {
  return route.spec.targets
    .map((t) => {
      const model =
        t.model ??
        (t.modelFrom?.env !== undefined
          ? `env:${t.modelFrom.env}`
          : `configmap:${t.modelFrom?.configMapKeyRef?.name ?? ''}/${t.modelFrom?.configMapKeyRef?.key ?? ''}`);
      return `${t.provider}/${model}`;
    })
    .join(' → ');
}

/** Every route of a namespace, resolved; the gateway renders those with `rendered` set. */
export function resolveRoutes(
  routes: readonly ProviderRoute[],
  refs: NamespaceRefs,
  airGapped: boolean,
  tls: UpstreamTlsContext,
): Map<string, RouteResolution> {
  const winners = new Map<string, ProviderRoute>();
  for (const route of [...routes].sort(byAge)) {
    if (!winners.has(route.spec.alias)) winners.set(route.spec.alias, route);
  }
  const out = new Map<string, RouteResolution>();
  for (const route of routes) {
    const alias = aliasPolicy(route, winners.get(route.spec.alias) ?? route);
    const modelRefs = modelRefsPolicy(route, refs);
    const included = alias.status === 'True' && modelRefs.status === 'True';
    const upstream = upstreamTlsPolicy(route, refs, tls);
    out.set(route.metadata.name, {
      rendered: included ? renderRouteSpec(route, refs, airGapped, tls) : undefined,
      alias,
      modelRefs,
      credentials: credentialsPolicy(route, refs),
      egress: egressPolicy(route, airGapped),
      upstreamTls: upstream?.verdict,
      upstreamTlsExpiryMs: upstream?.nextExpiryMs,
      chain: chainOf(route),
    });
  }
  return out;
}

// --- reconcile --------------------------------------------------------------------------------

export interface ProviderRouteObserved {
  route: ProviderRoute | undefined;
  /** Every ProviderRoute of the namespace (the route itself included). */
  routes: readonly ProviderRoute[];
  refs: NamespaceRefs;
  airGapped: boolean;
  /** routes.yaml of the rendered `inference-config` ConfigMap, by alias; undefined before the first render. */
  renderedRoutes: ReadonlyMap<string, unknown> | undefined;
  /** Checksum of the rendered config contract (the ConfigMap's annotation). */
  configChecksum: string | undefined;
  /** The gateway's operator-issued client certificate (`tls: {…: {gateway: true}}`); undefined: none. */
  gatewayClient?: GatewayClientFiles | undefined;
  now: Date;
}

/** Whether what the gateway serves carries this route as it is now. */
export function renderedPolicy(
  spec: ProviderRouteSpec,
  rendered: ReadonlyMap<string, unknown> | undefined,
): Verdict {
  const current = rendered?.get(spec.alias);
  if (current !== undefined && canonicalJson(current) === canonicalJson(spec)) {
    return verdict('True', 'Rendered', 'The route is in the config contract the gateway reads.');
  }
  return verdict(
    'Unknown',
    'RenderPending',
    'The route is not yet in the rendered config contract.',
  );
}

export function reconcileProviderRoute(
  o: ProviderRouteObserved,
): ReconcileResult<ProviderRouteStatus> {
  const route = o.route;
  if (route === undefined) return { desired: [] };
  const resolution = must(
    resolveRoutes(o.routes, o.refs, o.airGapped, {
      gatewayClient: o.gatewayClient,
      nowMs: o.now.getTime(),
    }).get(route.metadata.name),
    `the resolution of ${route.metadata.name}`,
  );
  const resolvedRefs = firstProblem(
    [resolution.modelRefs, resolution.credentials],
    verdict('True', 'ResolvedRefs', 'Every referenced ConfigMap, Secret and model exists.'),
  );
  const rendered =
    resolution.rendered === undefined
      ? verdict('False', 'NotRendered', 'The route is not rendered.')
      : renderedPolicy(resolution.rendered, o.renderedRoutes);
  const upstreamTls = resolution.upstreamTls;
  const ready = firstProblem(
    [
      resolution.alias,
      resolution.modelRefs,
      resolution.credentials,
      resolution.egress,
      ...(upstreamTls === undefined ? [] : [upstreamTls]),
      rendered,
    ],
    verdict('True', 'Serving', `The gateway serves ${route.spec.alias}: ${resolution.chain}.`),
  );
  const generation = route.metadata.generation;
  const status: ProviderRouteStatus = {
    conditions: setConditions(
      route.status?.conditions,
      {
        Ready: ready,
        ResolvedRefs: resolvedRefs,
        ...(upstreamTls === undefined ? {} : { UpstreamTLSReady: upstreamTls }),
      },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    targets: resolution.chain,
    ...(rendered.status === 'True' && o.configChecksum !== undefined
      ? { renderedConfigChecksum: o.configChecksum }
      : route.status?.renderedConfigChecksum === undefined
        ? {}
        : { renderedConfigChecksum: route.status.renderedConfigChecksum }),
  };
  // An upstream certificate that expires turns UpstreamTLSReady False then, with nothing else changing.
  const expiry = resolution.upstreamTlsExpiryMs;
  return {
    desired: [],
    status,
    ...(expiry === undefined ? {} : { requeueAfterMs: Math.max(1000, expiry - o.now.getTime()) }),
  };
}
