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
import type { GatewaySettings } from '../../../dataplane/src/config/gateway-settings.ts';
import { renderContract } from '../render/config-contract.ts';
import { destinationOf, type Destination } from '../render/egress.ts';
import { renderGateway } from '../render/gateway.ts';
import { renderEgressPolicy } from '../render/network-policy.ts';
import type { GatewayWorkloadSettings } from '../settings.ts';
import { resolvePrompts } from './prompt-manifest.ts';
import { resolveRoutes } from './provider-route.ts';
import { resolveBudgets } from './tenant-budget.ts';
import type { NamespaceRefs, ReconcileResult } from './types.ts';

export interface GatewayRenderSettings {
  workload: GatewayWorkloadSettings;
  gatewayConfig: GatewaySettings;
  jwks: string;
  airGapped: boolean;
}

/** One resume-token key: `kid` and the base64url of at least 32 random bytes. */
export interface ResumeKey {
  kid: string;
  secret: string;
}

export interface GatewayObserved {
  namespace: string;
  models: readonly InferenceModel[];
  routes: readonly ProviderRoute[];
  prompts: readonly PromptManifest[];
  budgets: readonly TenantBudget[];
  mcpGateways: readonly MCPGateway[];
  refs: NamespaceRefs;
  /** Data of the `inference-keys` Secret as it is (base64 values), to keep its keyring. */
  existingKeys: Readonly<Record<string, string>> | undefined;
  /** A fresh key, used only when there is no valid keyring yet (the runtime draws it). */
  freshResumeKey: ResumeKey;
  settings: GatewayRenderSettings;
}

// --- policies ---------------------------------------------------------------------------------

/**
 * The resume-token keyring: the existing one while it is valid, else a new one holding the
 * fresh key. Rotation on a schedule (issue 7) adds a key here, makes it active after the
 * overlap, and drops keys older than every token's lifetime plus kubelet's propagation delay.
 */
export function resumeKeyringPolicy(
  existing: Readonly<Record<string, string>> | undefined,
  fresh: ResumeKey,
): string {
  const text = existing?.['resume.json'];
  if (text !== undefined) {
    try {
      const keyring = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as {
        active?: unknown;
        keys?: { kid?: unknown; secret?: unknown }[];
      };
      const keys = Array.isArray(keyring.keys) ? keyring.keys : [];
      const valid = keys.every(
        (k) =>
          typeof k.kid === 'string' &&
          typeof k.secret === 'string' &&
          Buffer.from(k.secret, 'base64url').length >= 32,
      );
      if (valid && keys.length > 0 && keys.some((k) => k.kid === keyring.active)) {
        return JSON.stringify({ active: keyring.active, keys });
      }
    } catch {
      // Not JSON: replaced below.
    }
  }
  return JSON.stringify({ active: fresh.kid, keys: [fresh] });
}

/** gateway.yaml: the operator's settings; defaultModel only while a route serves it. */
export function gatewayConfigPolicy(
  config: GatewaySettings,
  aliases: ReadonlySet<string>,
): GatewaySettings {
  if (config.defaultModel === undefined || aliases.has(config.defaultModel)) return config;
  const rest = { ...config };
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

// --- reconcile --------------------------------------------------------------------------------

export function reconcileGateway(o: GatewayObserved): ReconcileResult<never> {
  const total =
    o.models.length + o.routes.length + o.prompts.length + o.budgets.length + o.mcpGateways.length;
  if (total === 0) return { desired: [] };
  const { settings } = o;

  const routes = [...resolveRoutes(o.routes, o.refs, settings.airGapped).values()].flatMap((r) =>
    r.rendered === undefined ? [] : [r.rendered],
  );
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

  const contract = renderContract(o.namespace, {
    gateway: gatewayConfigPolicy(settings.gatewayConfig, aliases),
    routes,
    budgets,
    prompts: new Map([...promptFiles].sort(([a], [b]) => (a < b ? -1 : 1))),
    jwks: settings.jwks,
    resumeKeys: resumeKeyringPolicy(o.existingKeys, o.freshResumeKey),
    credentials: new Map([...credentials].sort(([a], [b]) => (a < b ? -1 : 1))),
  });
  return {
    desired: [
      ...contract.objects,
      ...renderGateway(o.namespace, settings.workload),
      ...renderEgressPolicy(o.namespace, routeDestinations(routes), {
        redisUrl: settings.workload.redisUrl,
        redisCidr: settings.workload.redisCidr,
        airGapped: settings.airGapped,
      }),
    ],
  };
}
