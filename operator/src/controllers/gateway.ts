/**
 * The namespace's gateway: aggregates every resource of the namespace into the config contract
 * (ConfigMaps and Secrets), and renders the gateway Deployment, its Service and its egress
 * NetworkPolicy. Keyed by namespace: a change to any of the five kinds, or to a Secret or
 * ConfigMap they reference, reconciles it. With none of the five kinds left in the namespace,
 * it desires nothing and the runtime prunes what it rendered.
 */
import type { InferenceModel } from '../../../crds/inference-model.ts';
import type { MCPGateway } from '../../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../../crds/prompt-manifest.ts';
import type { ProviderRoute, ProviderRouteSpec } from '../../../crds/provider-route.ts';
import type { TenantBudget } from '../../../crds/tenant-budget.ts';
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { renderContract, type RenderStamp } from '../render/config-contract.ts';
import { destinationOf, type Destination } from '../render/egress.ts';
import { renderGateway } from '../render/gateway.ts';
import { renderEgressPolicy } from '../render/network-policy.ts';
import type { KeyRotation } from '../key-rotation-settings.ts';
import type { GatewayWorkloadSettings, McpSettings } from '../settings.ts';
import type { TlsSource } from '../tls-settings.ts';
import {
  parseAuditKeys,
  rotateAuditKeys,
  type AuditKeysDecision,
  type FreshAuditKeys,
} from './audit-keys.ts';
import type { FreshCertificateKeys } from './certificates.ts';
import { gatewayTlsPolicy, withTls, type GatewayTlsObserved } from './gateway-tls.ts';
import { DEFAULT_JWKS_RETENTION_MS, publishJwks } from './jwks.ts';
import { rotateKeyring, type Keyring, type KeyringDecision, type RingKey } from './key-rotation.ts';
import { mcpContract } from './mcp-gateway-render.ts';
import { resolvePrompts } from './prompt-manifest.ts';
import { parseKeyring, type ResumeKey } from './resume-keys.ts';
import { resolveRoutes } from './provider-route.ts';
import { resolveBudgets } from './tenant-budget.ts';
import { upstreamTlsFiles } from './upstream-tls.ts';
import { must, type GaugeSample, type NamespaceRefs, type ReconcileResult } from './types.ts';

export interface GatewayRenderSettings {
  workload: GatewayWorkloadSettings;
  gatewayConfig: GatewaySettings;
  jwks: string;
  /** A key that leaves the JWKS source stays published this long (+ P). @default one day */
  jwksRetentionMs?: number;
  /** pricing.yaml, verified when the settings were read; unset: the contract has none. */
  pricing: string | undefined;
  airGapped: boolean;
  resumeKeys: KeyRotation;
  auditKeys: KeyRotation;
  /** Where the gateway's certificates come from; absent: plain HTTP. */
  tls?: TlsSource;
  /** The chart's `mcp` values; absent: MCP off, no mcp.yaml. */
  mcp?: McpSettings;
}

export interface GatewayObserved {
  namespace: string;
  models: readonly InferenceModel[];
  routes: readonly ProviderRoute[];
  prompts: readonly PromptManifest[];
  budgets: readonly TenantBudget[];
  mcpGateways: readonly MCPGateway[];
  refs: NamespaceRefs;
  /** The `inference-config` ConfigMap's checksum and render time as they are; undefined: none. */
  existingConfig?: RenderStamp | undefined;
  /** Data of the `inference-keys` Secret as it is (base64 values), to keep its keyrings. */
  existingKeys: Readonly<Record<string, string>> | undefined;
  /** A fresh key (created now), used when there is no keyring yet or a rotation is due. */
  freshResumeKey: ResumeKey;
  /** A fresh key pair and content key (created now), used as `freshResumeKey` is. */
  freshAuditKeys: FreshAuditKeys;
  /** `jwks.json` of the namespace's Secret `inference-auth-jwks`, decoded; undefined: none. */
  jwksSecret?: string | undefined;
  /** The JWKS the operator last fetched from INFERENCE_AUTH_JWKS_URL; undefined: none. */
  jwksFetched?: string | undefined;
  /** The TLS Secrets as they are (decoded), and keys to issue from (INFERENCE_TLS=operator). */
  existingTls?: GatewayTlsObserved['existing'];
  freshCertificateKeys?: FreshCertificateKeys;
  now: Date;
  settings: GatewayRenderSettings;
}

// --- policies ---------------------------------------------------------------------------------

/** A file of the existing `inference-keys` Secret, decoded; undefined when absent. */
const existingKeyFile = (o: GatewayObserved, name: string): string | undefined => {
  const text = o.existingKeys?.[name];
  return text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');
};

/** The keyring for this reconcile: the existing Secret's, rotated as `key-rotation.ts` says. */
export function resumeKeyringPolicy(o: GatewayObserved): KeyringDecision<ResumeKey> {
  return rotateKeyring(parseKeyring(existingKeyFile(o, 'resume.json')), o.freshResumeKey, o.now, {
    ...o.settings.resumeKeys,
    tokenTtlMs: o.settings.gatewayConfig.streams.resumeTtlS * 1000,
  });
}

/** The audit keys for this reconcile: the existing Secret's, rotated as `audit-keys.ts` says. */
export function auditKeysPolicy(o: GatewayObserved): AuditKeysDecision {
  const existing = parseAuditKeys(existingKeyFile(o, 'audit.json'), o.now);
  return rotateAuditKeys(existing, o.freshAuditKeys, o.now, o.settings.auditKeys);
}

/**
 * gateway.yaml: the operator's settings; defaultModel only while a route serves it; the
 * dataplane's egress guard air-gapped exactly when the operator is (one switch, both sides).
 */
export function gatewayConfigPolicy(
  config: GatewaySettings,
  aliases: ReadonlySet<string>,
  airGapped = false,
): GatewaySettings {
  const egress = { ...config.egress, airGapped };
  if (config.defaultModel === undefined || aliases.has(config.defaultModel))
    return { ...config, egress };
  const rest = { ...config, egress };
  delete rest.defaultModel;
  return rest;
}

/** Where the rendered routes send traffic. */
export function routeDestinations(routes: readonly ProviderRouteSpec[]): Destination[] {
  return routes.flatMap((route) =>
    route.targets.flatMap((target) => {
      const destination = destinationOf(target);
      return destination === undefined ? [] : [destination];
    }),
  );
}

/**
 * What the egress policy is rendered from: the rendered routes' destinations and, air-gapped,
 * those of the targets left out of them (the policy opens none of those; it lists their hosts
 * as blocked).
 */
export function egressDestinations(
  rendered: readonly ProviderRouteSpec[],
  routes: readonly ProviderRoute[],
  airGapped: boolean,
): Destination[] {
  const served = routeDestinations(rendered);
  if (!airGapped) return served;
  const left = routeDestinations(routes.map((route) => route.spec));
  return [...served, ...left.filter((d) => d.type !== 'in-cluster')];
}

// --- reconcile --------------------------------------------------------------------------------

export function reconcileGateway(o: GatewayObserved): ReconcileResult<never> {
  const total =
    o.models.length + o.routes.length + o.prompts.length + o.budgets.length + o.mcpGateways.length;
  if (total === 0) return { desired: [] };
  const { settings } = o;

  const tls = gatewayTlsPolicy({
    namespace: o.namespace,
    source: settings.tls ?? { kind: 'off' },
    existing: o.existingTls ?? {},
    fresh: o.freshCertificateKeys,
    now: o.now,
    propagationMs: settings.resumeKeys.propagationMs,
  });
  const upstream = { gatewayClient: tls.clientFiles, nowMs: o.now.getTime() };
  const routes = [
    ...resolveRoutes(o.routes, o.refs, settings.airGapped, upstream).values(),
  ].flatMap((r) => (r.rendered === undefined ? [] : [r.rendered]));
  const aliases = new Set(routes.map((r) => r.alias));
  const promptFiles = new Map<string, string>();
  for (const [name, resolution] of resolvePrompts(o.prompts)) {
    if (resolution.file !== undefined) promptFiles.set(name, resolution.file);
  }
  const budgetVerdicts = resolveBudgets(o.budgets);
  const budgets = o.budgets
    .filter((b) => budgetVerdicts.get(b.metadata.name)?.status === 'True')
    .map((b) => b.spec);

  const credentials = new Map<string, string>();
  for (const route of routes) {
    for (const target of route.targets) {
      const ref = target.credentials?.secretKeyRef;
      const value = ref === undefined ? undefined : o.refs.secrets.get(ref.name)?.[ref.key];
      if (ref !== undefined && value !== undefined)
        credentials.set(`${ref.name}__${ref.key}`, value);
    }
  }

  const mcp = mcpContract(o.mcpGateways, o.refs, aliases, settings.airGapped, settings.mcp);
  for (const [file, value] of mcp.credentials) credentials.set(file, value);

  const keyring = resumeKeyringPolicy(o);
  const audit = auditKeysPolicy(o);
  const jwks = publishJwks({
    source: o.jwksSecret ?? o.jwksFetched ?? settings.jwks,
    previous: {
      jwks: existingKeyFile(o, 'jwks.json'),
      removed: existingKeyFile(o, 'jwks-removed.json'),
    },
    now: o.now,
    retentionMs: settings.jwksRetentionMs ?? DEFAULT_JWKS_RETENTION_MS,
    propagationMs: settings.resumeKeys.propagationMs,
  });
  const contract = renderContract(
    o.namespace,
    {
      gateway: withTls(
        gatewayConfigPolicy(settings.gatewayConfig, aliases, settings.airGapped),
        tls,
      ),
      routes,
      budgets,
      mcp: mcp.file,
      pricing: settings.pricing,
      prompts: new Map([...promptFiles].sort(([a], [b]) => (a < b ? -1 : 1))),
      jwks: jwks.jwks,
      jwksRemoved: jwks.removed,
      resumeKeys: JSON.stringify(keyring.keyring),
      auditKeys: JSON.stringify(audit.auditKeys),
      credentials: new Map([...credentials].sort(([a], [b]) => (a < b ? -1 : 1))),
      tls: tls.files,
      upstreamTls: upstreamTlsFiles(routes, o.refs, upstream),
    },
    { existing: o.existingConfig, now: o.now },
  );
  return {
    desired: [
      ...contract.objects,
      ...tls.objects,
      ...renderGateway(o.namespace, settings.workload, tls.secretName),
      ...renderEgressPolicy(
        o.namespace,
        [...egressDestinations(routes, o.routes, settings.airGapped), ...mcp.destinations],
        {
          redisUrl: settings.workload.redisUrl,
          redisCidr: settings.workload.redisCidr,
          airGapped: settings.airGapped,
        },
      ),
    ],
    ...requeueAt(keyring.nextChangeMs, audit.nextChangeMs, tls.nextChangeMs, jwks.nextChangeMs),
    childEvents: tls.events,
    gauges: [
      ...tls.gauges,
      signingKeyGauge(o.namespace, 'resume', keyring.keyring),
      signingKeyGauge(o.namespace, 'audit', audit.auditKeys),
      {
        gauge: 'configRendered',
        labels: { namespace: o.namespace, checksum: contract.checksum },
        value: Date.parse(contract.renderedAt) / 1000,
      },
    ],
  };
}

/** The publication time of a ring's signing key: its age is what key-expiry alerts watch. */
function signingKeyGauge(namespace: string, name: string, ring: Keyring<RingKey>): GaugeSample {
  const active = must(
    ring.keys.find((key) => key.kid === ring.active),
    `the active key ${ring.active} of the ${name} keyring`,
  );
  return {
    gauge: 'signingKeyCreated',
    labels: { namespace, keyring: name, kid: active.kid },
    value: Date.parse(active.createdAt) / 1000,
  };
}

/** Requeue at the soonest of these changes; none: no requeue. */
function requeueAt(...changesMs: (number | undefined)[]): { requeueAfterMs?: number } {
  const future = changesMs.filter((ms) => ms !== undefined);
  return future.length === 0 ? {} : { requeueAfterMs: Math.min(...future) };
}
