/**
 * What every controller's observation shares, read from the informer caches (never from the
 * API): the Secrets and ConfigMaps a resource references, the rendered config contract, and
 * the clock; and, the reads that leave the process, a tenant's spend and an MCPGateway's
 * server reports in the Redis the gateways share (read-only, bounded by a timeout). Each registration's `observe`
 * (controllers/<kind>.registration.ts) reads its own resource and peers through `caches`.
 * Cache reads are synchronous and cheap; the pure controllers decide.
 */
import { parse } from 'yaml';
import { spendKey, type PeriodWindow } from '../../crds/budget-period.ts';
import type { InferenceModel } from '../../crds/inference-model.ts';
import type { MCPGateway } from '../../crds/mcp-gateway.ts';
import { mcpStatusKey } from '../../crds/mcp-status.ts';
import type { ProviderRoute } from '../../crds/provider-route.ts';
import type { McpReports } from './controllers/mcp-gateway-status.ts';
import type { SpendReading } from './controllers/tenant-budget.ts';
import type { NamespaceRefs } from './controllers/types.ts';
import type { Caches } from './registration.ts';
import { CONFIG_CHECKSUM_ANNOTATION, GATEWAY_NAMES } from './render/labels.ts';
import { splitKey, type KubeObject } from './runtime/objects.ts';
import { ConfigMaps, InferenceModels, Secrets } from './runtime/resources.ts';
import type { McpStatusReader } from './runtime/mcp-status-reader.ts';
import type { ModelProber } from './runtime/model-probe.ts';
import type { SpendReader } from './runtime/spend-reader.ts';
import type { Settings } from './settings.ts';

type WithData = KubeObject & { data?: Record<string, string> };

/** Index names on the route and MCP caches: `namespace/name` of what they reference. */
export const SECRET_INDEX = 'secret';
export const CONFIGMAP_INDEX = 'configmap';
export const MODEL_INDEX = 'model';

export function routeSecrets(route: ProviderRoute): string[] {
  const namespace = route.metadata.namespace ?? '';
  return route.spec.targets.flatMap((t) => [
    ...(t.credentials === undefined ? [] : [`${namespace}/${t.credentials.secretKeyRef.name}`]),
    // The Secrets of its upstream TLS (crds/upstream-tls.ts); the gateway's own is no reference.
    ...[t.tls?.ca?.secretName, t.tls?.clientCertificate?.secretName].flatMap((name) =>
      name === undefined ? [] : [`${namespace}/${name}`],
    ),
  ]);
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
  readonly caches: Caches;
  readonly settings: Settings;
  readonly #now: () => Date;
  readonly #spend: SpendReader | undefined;
  /** Reads the gateways' MCP server reports; the operator sets it when it has a Redis. */
  mcpStatusReader: McpStatusReader | undefined = undefined;
  /** The JWKS the operator fetched from INFERENCE_AUTH_JWKS_URL, if it fetches one. */
  jwksFetched: () => string | undefined = () => undefined;
  /** Asks a colour's model-server pods (runtime/model-probe.ts); the operator sets it. */
  probeModel: ModelProber = () =>
    Promise.resolve({ endpoints: 0, serving: {}, error: 'this operator asks no pods' });
  readonly #parsed = new Map<string, { resourceVersion: string | undefined; value: unknown }>();

  constructor(
    caches: Caches,
    settings: Settings,
    now: () => Date = () => new Date(),
    spend?: SpendReader,
  ) {
    this.caches = caches;
    this.settings = settings;
    this.#now = now;
    this.#spend = spend;
  }

  now(): Date {
    return this.#now();
  }

  /** How often spend is read again; undefined when no Redis is configured (it is never read). */
  get spendRefreshMs(): number | undefined {
    return this.#spend === undefined ? undefined : this.settings.budgetSpend.refreshMs;
  }

  /** The tenant's settled spend in window (its hash in Redis), or why it is unknown. */
  async spend(tenant: string, window: PeriodWindow): Promise<SpendReading> {
    if (this.#spend === undefined) {
      return {
        known: false,
        message:
          'The operator reads no spend: INFERENCE_BUDGET_REDIS_URL is unset, so spent and remaining are not shown.',
      };
    }
    const key = spendKey(this.settings.budgetSpend.keyPrefix, tenant, window);
    try {
      return { known: true, ...(await this.#spend.read(key)) };
    } catch (err) {
      return {
        known: false,
        message: `Spend could not be read from Redis (${key}): ${(err as Error).message}`,
      };
    }
  }

  /** What the gateways last reported of gateway's MCP servers, or why it is unknown. */
  async mcpReports(gateway: string): Promise<McpReports> {
    const reader = this.mcpStatusReader;
    if (reader === undefined) {
      return {
        known: false,
        message:
          "The operator reads no MCP reports: INFERENCE_BUDGET_REDIS_URL (the gateways' Redis) is unset, so reachability is not shown.",
      };
    }
    const key = mcpStatusKey(this.settings.budgetSpend.keyPrefix, gateway);
    try {
      return { known: true, servers: await reader.read(key) };
    } catch (err) {
      return {
        known: false,
        message: `The MCP reports could not be read from Redis (${key}): ${(err as Error).message}`,
      };
    }
  }

  /** The referenced Secrets and ConfigMaps (by `name`), and the namespace's models. */
  refs(
    namespace: string,
    secretNames: Iterable<string>,
    configMapNames: Iterable<string>,
  ): NamespaceRefs {
    const secrets = new Map<string, Record<string, string>>();
    for (const name of secretNames) {
      const secret = this.caches.of<WithData>(Secrets).get(namespace, name);
      if (secret !== undefined) secrets.set(name, secret.data ?? {});
    }
    const models = this.caches.of<InferenceModel & KubeObject>(InferenceModels).list(namespace);
    const configMaps = new Map<string, Record<string, string>>();
    for (const name of configMapNames) {
      const cm = this.caches.of<WithData>(ConfigMaps).get(namespace, name);
      if (cm !== undefined) configMaps.set(name, cm.data ?? {});
    }
    return {
      secrets,
      configMaps,
      models: new Set(models.map((m) => m.metadata.name)),
      tlsModels: new Set(
        models.filter((m) => m.spec.tls !== undefined).map((m) => m.metadata.name),
      ),
      gatewayEnv: this.settings.gateway.env,
    };
  }

  /** What routes and MCP gateways of namespace reference. */
  refsOf(
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
  parsedKey(namespace: string, name: string, key: string): unknown {
    const cm = this.caches.of<WithData>(ConfigMaps).get(namespace, name);
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

  /** A Secret's data decoded to text (its PEM files); undefined when the Secret is absent. */
  secretFiles(namespace: string, name: string): Record<string, string> | undefined {
    const data = this.caches.of<WithData>(Secrets).get(namespace, name)?.data;
    if (data === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(data).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
  }

  /** The checksum of the config contract rendered in namespace. */
  configChecksum(namespace: string): string | undefined {
    return this.caches.of(ConfigMaps).get(namespace, GATEWAY_NAMES.config)?.metadata.annotations?.[
      CONFIG_CHECKSUM_ANNOTATION
    ];
  }
}
