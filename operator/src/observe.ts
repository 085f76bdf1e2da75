/**
 * What each controller observes, read from the informer caches (never from the API): the
 * resource itself, its namespace peers, the Secrets and ConfigMaps it references, and the
 * rendered config contract. Reading is synchronous and cheap; the pure controllers decide.
 */
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import type { InferenceModel } from '../../crds/inference-model.ts';
import type { MCPGateway } from '../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../crds/prompt-manifest.ts';
import type { ProviderRoute } from '../../crds/provider-route.ts';
import type { TenantBudget } from '../../crds/tenant-budget.ts';
import type { GatewayObserved, GatewayRenderSettings } from './controllers/gateway.ts';
import type { InferenceModelObserved, DeploymentState } from './controllers/inference-model.ts';
import type { MCPGatewayObserved } from './controllers/mcp-gateway.ts';
import type { PromptManifestObserved } from './controllers/prompt-manifest.ts';
import type { ProviderRouteObserved } from './controllers/provider-route.ts';
import type { TenantBudgetObserved } from './controllers/tenant-budget.ts';
import type { NamespaceRefs } from './controllers/types.ts';
import { CONFIG_CHECKSUM_ANNOTATION, GATEWAY_NAMES, modelNames } from './render/labels.ts';
import type { ModelServerSettings } from './render/model-server.ts';
import type { Cache } from './runtime/informer.ts';
import { splitKey, type KubeObject } from './runtime/objects.ts';

export interface Caches {
  models: Cache<InferenceModel & KubeObject>;
  prompts: Cache<PromptManifest & KubeObject>;
  routes: Cache<ProviderRoute & KubeObject>;
  budgets: Cache<TenantBudget & KubeObject>;
  mcpGateways: Cache<MCPGateway & KubeObject>;
  configMaps: Cache<KubeObject & { data?: Record<string, string> }>;
  secrets: Cache<KubeObject & { data?: Record<string, string> }>;
  deployments: Cache<KubeObject & DeploymentState>;
}

/** Index names on the route and MCP caches: `namespace/name` of what they reference. */
export const SECRET_INDEX = 'secret';
export const CONFIGMAP_INDEX = 'configmap';
export const MODEL_INDEX = 'model';

export function routeSecrets(route: ProviderRoute): string[] {
  return route.spec.targets.flatMap((t) =>
    t.credentials === undefined
      ? []
      : [`${route.metadata.namespace ?? ''}/${t.credentials.secretKeyRef.name}`],
  );
}
export function routeConfigMaps(route: ProviderRoute): string[] {
  return route.spec.targets.flatMap((t) =>
    t.modelFrom?.configMapKeyRef === undefined
      ? []
      : [`${route.metadata.namespace ?? ''}/${t.modelFrom.configMapKeyRef.name}`],
  );
}
export function routeModels(route: ProviderRoute): string[] {
  return route.spec.targets.flatMap((t) =>
    t.provider === 'local' && t.model !== undefined
      ? [`${route.metadata.namespace ?? ''}/${t.model}`]
      : [],
  );
}
export function mcpSecrets(gateway: MCPGateway): string[] {
  return (gateway.spec.servers ?? []).flatMap((s) =>
    s.credentials === undefined
      ? []
      : [`${gateway.metadata.namespace ?? ''}/${s.credentials.secretKeyRef.name}`],
  );
}

export class Observer {
  readonly #caches: Caches;
  readonly #gatewayEnv: Readonly<Record<string, string>>;
  readonly #now: () => Date;
  readonly #parsed = new Map<string, { resourceVersion: string | undefined; value: unknown }>();

  constructor(
    caches: Caches,
    gatewayEnv: Readonly<Record<string, string>>,
    now: () => Date = () => new Date(),
  ) {
    this.#caches = caches;
    this.#gatewayEnv = gatewayEnv;
    this.#now = now;
  }

  /** The referenced Secrets and ConfigMaps (by `name`), and the namespace's models. */
  refs(
    namespace: string,
    secretNames: Iterable<string>,
    configMapNames: Iterable<string>,
  ): NamespaceRefs {
    const secrets = new Map<string, Record<string, string>>();
    for (const name of secretNames) {
      const secret = this.#caches.secrets.get(namespace, name);
      if (secret !== undefined) secrets.set(name, secret.data ?? {});
    }
    const configMaps = new Map<string, Record<string, string>>();
    for (const name of configMapNames) {
      const cm = this.#caches.configMaps.get(namespace, name);
      if (cm !== undefined) configMaps.set(name, cm.data ?? {});
    }
    return {
      secrets,
      configMaps,
      models: new Set(this.#caches.models.list(namespace).map((m) => m.metadata.name)),
      gatewayEnv: this.#gatewayEnv,
    };
  }

  #refsOfRoutes(
    namespace: string,
    routes: readonly ProviderRoute[],
    gateways: readonly MCPGateway[] = [],
  ): NamespaceRefs {
    const name = (ref: string): string => splitKey(ref).name;
    return this.refs(
      namespace,
      new Set([...routes.flatMap(routeSecrets), ...gateways.flatMap(mcpSecrets)].map(name)),
      new Set(routes.flatMap(routeConfigMaps).map(name)),
    );
  }

  /** A YAML key of a ConfigMap, parsed once per resourceVersion. */
  #parsedKey(namespace: string, name: string, key: string): unknown {
    const cm = this.#caches.configMaps.get(namespace, name);
    if (cm === undefined) return undefined;
    const memoKey = `${namespace}/${name}/${key}`;
    const memo = this.#parsed.get(memoKey);
    if (memo !== undefined && memo.resourceVersion === cm.metadata.resourceVersion)
      return memo.value;
    let value: unknown;
    try {
      value = parse(cm.data?.[key] ?? '') as unknown;
    } catch {
      value = undefined;
    }
    this.#parsed.set(memoKey, { resourceVersion: cm.metadata.resourceVersion, value });
    return value;
  }

  #configChecksum(namespace: string): string | undefined {
    return this.#caches.configMaps.get(namespace, GATEWAY_NAMES.config)?.metadata.annotations?.[
      CONFIG_CHECKSUM_ANNOTATION
    ];
  }

  inferenceModel(key: string, settings: ModelServerSettings): InferenceModelObserved {
    const { namespace, name } = splitKey(key);
    return {
      model: this.#caches.models.get(namespace, name),
      deployment: this.#caches.deployments.get(namespace, modelNames(name).deployment),
      settings,
      now: this.#now(),
    };
  }

  providerRoute(key: string, airGapped: boolean): ProviderRouteObserved {
    const { namespace, name } = splitKey(key);
    const routes = this.#caches.routes.list(namespace);
    const rendered = this.#parsedKey(namespace, GATEWAY_NAMES.config, 'routes.yaml') as
      { routes?: { alias: string }[] } | undefined;
    return {
      route: this.#caches.routes.get(namespace, name),
      routes,
      refs: this.#refsOfRoutes(namespace, routes),
      airGapped,
      renderedRoutes:
        rendered?.routes === undefined
          ? undefined
          : new Map(rendered.routes.map((r) => [r.alias, r])),
      configChecksum: this.#configChecksum(namespace),
      now: this.#now(),
    };
  }

  promptManifest(key: string): PromptManifestObserved {
    const { namespace, name } = splitKey(key);
    return {
      manifest: this.#caches.prompts.get(namespace, name),
      manifests: this.#caches.prompts.list(namespace),
      renderedPrompts:
        this.#caches.configMaps.get(namespace, GATEWAY_NAMES.prompts)?.data ?? undefined,
      now: this.#now(),
    };
  }

  tenantBudget(key: string): TenantBudgetObserved {
    const { namespace, name } = splitKey(key);
    const rendered = this.#parsedKey(namespace, GATEWAY_NAMES.config, 'budgets.yaml') as
      { budgets?: { tenant: string }[] } | undefined;
    return {
      budget: this.#caches.budgets.get(namespace, name),
      budgets: this.#caches.budgets.list(namespace),
      renderedBudgets:
        rendered?.budgets === undefined
          ? undefined
          : new Map(rendered.budgets.map((b) => [b.tenant, b])),
      now: this.#now(),
    };
  }

  mcpGateway(key: string, airGapped: boolean): MCPGatewayObserved {
    const { namespace, name } = splitKey(key);
    const gateways = this.#caches.mcpGateways.list(namespace);
    const rendered = this.#parsedKey(namespace, GATEWAY_NAMES.config, 'routes.yaml') as
      { routes?: { alias: string }[] } | undefined;
    return {
      gateway: this.#caches.mcpGateways.get(namespace, name),
      gateways,
      refs: this.#refsOfRoutes(namespace, [], gateways),
      aliases: new Set((rendered?.routes ?? []).map((r) => r.alias)),
      airGapped,
      now: this.#now(),
    };
  }

  gateway(key: string, settings: GatewayRenderSettings): GatewayObserved {
    const { namespace } = splitKey(key);
    const routes = this.#caches.routes.list(namespace);
    const mcpGateways = this.#caches.mcpGateways.list(namespace);
    const now = this.#now();
    return {
      namespace,
      models: this.#caches.models.list(namespace),
      routes,
      prompts: this.#caches.prompts.list(namespace),
      budgets: this.#caches.budgets.list(namespace),
      mcpGateways,
      refs: this.#refsOfRoutes(namespace, routes, mcpGateways),
      existingKeys: this.#caches.secrets.get(namespace, GATEWAY_NAMES.keys)?.data,
      now,
      freshResumeKey: {
        createdAt: now.toISOString(),
        kid: `resume-${now
          .toISOString()
          .replace(/[-:]|\.\d{3}/g, '')
          .toLowerCase()}`,
        secret: randomBytes(32).toString('base64url'),
      },
      settings,
    };
  }
}
