/**
 * How the manager runs the namespace's gateway controller: keyed `namespace/gateway`, it owns
 * the shared children (config contract, gateway Deployment and Service, egress policy) by their
 * owner label. A change to any of the five kinds in the namespace reconciles it, and so does a
 * change to a Secret or ConfigMap that a route or MCP gateway references. It writes no status.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FreshCertificateKeys } from './certificates.ts';
import type { GatewayTlsObserved } from './gateway-tls.ts';
import { JWKS_SECRET } from './jwks.ts';
import type { InferenceModel } from '../../../crds/inference-model.ts';
import type { MCPGateway } from '../../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../../crds/prompt-manifest.ts';
import type { ProviderRoute } from '../../../crds/provider-route.ts';
import type { TenantBudget } from '../../../crds/tenant-budget.ts';
import { ownedByLabel, watch } from '../handlers.ts';
import { CONFIGMAP_INDEX, SECRET_INDEX } from '../observe.ts';
import type { Caches, Registration } from '../registration.ts';
import type { RenderStamp } from '../render/config-contract.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  CONFIG_RENDERED_AT_ANNOTATION,
  GATEWAY_NAMES,
  GATEWAY_OWNER,
} from '../render/labels.ts';
import { ownerIndex } from '../runtime/applier.ts';
import { objectKey, splitKey, type KubeObject } from '../runtime/objects.ts';
import {
  CHILD_RESOURCES,
  ConfigMaps,
  InferenceModels,
  MCPGateways,
  PromptManifests,
  ProviderRoutes,
  Secrets,
  TenantBudgets,
  type ResourceType,
} from '../runtime/resources.ts';
import type { FreshAuditKeys } from './audit-keys.ts';
import { reconcileGateway, type GatewayObserved } from './gateway.ts';
import type { TlsSource } from '../tls-settings.ts';

/** The gateway controller's key of a namespace. */
export const gatewayKey = (namespace: string): string => `${namespace}/${GATEWAY_OWNER}`;

/** The kinds the gateway aggregates into the namespace's config contract. */
const AGGREGATED = [InferenceModels, PromptManifests, ProviderRoutes, TenantBudgets, MCPGateways];

const namespaceGateway = (object: KubeObject): string[] => [
  gatewayKey(object.metadata.namespace ?? ''),
];

/** The namespace's gateway, when an object of type references the changed one (by index). */
const whenReferencedBy =
  (...references: [type: ResourceType, index: string][]) =>
  (object: KubeObject, caches: Caches): string[] =>
    references.some(([type, index]) => caches.of(type).byIndex(index, objectKey(object)).length > 0)
      ? namespaceGateway(object)
      : [];

/**
 * Namespaces that hold any of the five kinds, and those whose resources are gone but whose
 * rendered children remain (their gateway prunes them).
 */
function* resyncKeys(caches: Caches): Iterable<string> {
  const namespaces = new Set<string>();
  for (const type of AGGREGATED) {
    for (const object of caches.of(type).list()) namespaces.add(object.metadata.namespace ?? '');
  }
  for (const type of CHILD_RESOURCES) {
    for (const object of caches.of(type).list()) {
      if (ownerIndex(object).length > 0) namespaces.add(object.metadata.namespace ?? '');
    }
  }
  for (const namespace of namespaces) yield gatewayKey(namespace);
}

/** `resume-20261126t120000z`: a key's kid, from when it was drawn. */
const kidAt = (prefix: string, now: Date): string =>
  `${prefix}-${now
    .toISOString()
    .replace(/[-:]|\.\d{3}/g, '')
    .toLowerCase()}`;

/** A new Ed25519 checkpoint key and content key, drawn now. */
function freshAuditKeys(now: Date): FreshAuditKeys {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    key: {
      kid: kidAt('audit', now),
      privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url'),
      createdAt: now.toISOString(),
    },
    contentKey: randomBytes(32).toString('base64url'),
  };
}

/** A P-256 key and a positive 16-byte serial for each certificate a pass may issue. */
function freshCertificateKeys(): FreshCertificateKeys {
  const draw = () => {
    const serial = randomBytes(16);
    serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40; // positive, no leading zero byte
    return { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, serial };
  };
  return { ca: draw(), serving: draw(), client: draw() };
}

type SecretCache = ReturnType<Caches['of']>;

/** One key of a Secret, decoded; undefined when the Secret or the key is absent. */
function secretFile(
  secrets: SecretCache,
  namespace: string,
  name: string,
  key: string,
): string | undefined {
  const data = (secrets.get(namespace, name) as { data?: Record<string, string> } | undefined)
    ?.data;
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** The decoded data of the TLS Secrets the gateway's source reads. */
function existingTls(
  secrets: SecretCache,
  namespace: string,
  tls: TlsSource,
): GatewayTlsObserved['existing'] {
  const decoded = (name: string): Record<string, string> | undefined => {
    const data = (secrets.get(namespace, name) as { data?: Record<string, string> } | undefined)
      ?.data;
    if (data === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(data).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
  };
  if (tls.kind === 'off') return {};
  if (tls.kind === 'cert-manager') {
    const serving = decoded(tls.secretName);
    return serving === undefined ? {} : { serving };
  }
  const existing: GatewayTlsObserved['existing'] = {};
  const ca = decoded(GATEWAY_NAMES.tlsCa);
  const serving = decoded(GATEWAY_NAMES.tls);
  const client = decoded(GATEWAY_NAMES.tlsClient);
  if (ca !== undefined) existing.ca = ca;
  if (serving !== undefined) existing.serving = serving;
  if (client !== undefined) existing.client = client;
  return existing;
}

/** The checksum and render time the `inference-config` ConfigMap carries; undefined: none yet. */
function renderStamp(configMap: KubeObject | undefined): RenderStamp | undefined {
  const annotations = configMap?.metadata.annotations;
  if (annotations === undefined) return undefined;
  return {
    checksum: annotations[CONFIG_CHECKSUM_ANNOTATION],
    renderedAt: annotations[CONFIG_RENDERED_AT_ANNOTATION],
  };
}

export const registration: Registration<GatewayObserved, never> = {
  name: 'gateway',
  owns: ownedByLabel(GATEWAY_OWNER, CHILD_RESOURCES, gatewayKey),
  watches: [
    ...AGGREGATED.map((type) => watch(type, namespaceGateway)),
    watch(Secrets, whenReferencedBy([ProviderRoutes, SECRET_INDEX], [MCPGateways, SECRET_INDEX])),
    watch(ConfigMaps, whenReferencedBy([ProviderRoutes, CONFIGMAP_INDEX])),
    watch(Secrets, (object) =>
      object.metadata.name === JWKS_SECRET ? namespaceGateway(object) : [],
    ),
  ],
  resyncKeys,
  observe: (key, observer) => {
    const { namespace } = splitKey(key);
    const { caches, settings } = observer;
    const routes = caches.of<ProviderRoute & KubeObject>(ProviderRoutes).list(namespace);
    const mcpGateways = caches.of<MCPGateway & KubeObject>(MCPGateways).list(namespace);
    const now = observer.now();
    return {
      namespace,
      models: caches.of<InferenceModel & KubeObject>(InferenceModels).list(namespace),
      routes,
      prompts: caches.of<PromptManifest & KubeObject>(PromptManifests).list(namespace),
      budgets: caches.of<TenantBudget & KubeObject>(TenantBudgets).list(namespace),
      mcpGateways,
      refs: observer.refsOf(namespace, routes, mcpGateways),
      existingConfig: renderStamp(caches.of(ConfigMaps).get(namespace, GATEWAY_NAMES.config)),
      existingKeys: caches
        .of<KubeObject & { data?: Record<string, string> }>(Secrets)
        .get(namespace, GATEWAY_NAMES.keys)?.data,
      now,
      freshResumeKey: {
        createdAt: now.toISOString(),
        kid: kidAt('resume', now),
        secret: randomBytes(32).toString('base64url'),
      },
      freshAuditKeys: freshAuditKeys(now),
      existingTls: existingTls(caches.of(Secrets), namespace, settings.tls),
      jwksSecret: secretFile(caches.of(Secrets), namespace, JWKS_SECRET, 'jwks.json'),
      jwksFetched: observer.jwksFetched(),
      ...(settings.tls.kind === 'operator' ? { freshCertificateKeys: freshCertificateKeys() } : {}),
      settings: {
        workload: settings.gateway,
        gatewayConfig: settings.gatewayConfig,
        jwks: settings.jwks,
        jwksRetentionMs: settings.jwksRetentionMs,
        pricing: settings.pricing,
        airGapped: settings.airGapped,
        resumeKeys: settings.resumeKeys,
        auditKeys: settings.auditKeys,
        tls: settings.tls,
        mcp: settings.mcp,
      },
    };
  },
  reconcile: reconcileGateway,
};
