import type { Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import type { ProviderRouteSpec } from '../../../crds/provider-route.ts';
import type { TenantBudgetSpec } from '../../../crds/tenant-budget.ts';
import { PricingFile, type Price } from '../../../crds/pricing.ts';
import { pricingProblem } from '../../../crds/pricing-check.ts';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../core/error-codes.ts';
import type { Keyring } from '../core/keyring.ts';
import type { RouteConfig, TargetConfig } from '../core/route.ts';
import { parsePromptManifest } from '../../../crds/prompts/manifest.ts';
import { readAuditKeys, type AuditKeys } from './audit-keys.ts';
import { decisionConfig, type DecisionConfig } from './decision.ts';
import { readMcp, type McpConfig } from './mcp.ts';
import { checkGuardRoute, checkSafetySettings } from './safety-check.ts';
import { readTlsMaterial, type TlsMaterial } from './tls-material.ts';
import { readUpstreamTls } from './upstream-tls.ts';
import {
  AuditKeysFile,
  BudgetsFile,
  CONTRACT_FILES,
  Jwks,
  PROMPTS_PREFIX,
  ResumeKeysFile,
  RoutesFile,
  credentialFile,
} from './contract.ts';
import { GatewaySettings } from '../../../crds/gateway-settings.ts';
import type { ConfigFiles } from './read-tree.ts';
import { ConfigError, parseWith } from './validate.ts';

/** One immutable, validated view of the config contract; swapped whole, never edited. */
export interface ConfigSnapshot {
  readonly checksum: string;
  readonly gateway: GatewaySettings;
  readonly routes: ReadonlyMap<string, RouteConfig>;
  /** Prompt id → its versions. */
  readonly prompts: ReadonlyMap<string, PromptManifestSpec[]>;
  readonly budgets: ReadonlyMap<string, TenantBudgetSpec>;
  /**
   * pricing.yaml, its checksum verified: the checksum a charge records, and the prices in file
   * order. Without the file, checksum is undefined and there are no prices (no model has one).
   */
  readonly pricing: { readonly checksum: string | undefined; readonly prices: readonly Price[] };
  readonly jwks: Static<typeof Jwks>;
  readonly resumeKeys: Keyring;
  /** `keys/audit.json`; absent, checkpoints cannot be signed (exports are refused). */
  readonly auditKeys: AuditKeys | undefined;
  /** `tls/` when `gateway.tls.enabled`: the listener's certificate, key and client CA bundle. */
  readonly tls: TlsMaterial | undefined;
  /** `mcp.yaml`: the MCP gateways that serve (none without the file). */
  readonly mcp: McpConfig;
  /** What decisions depend on, without secrets: the checksum a receipt names (replay). */
  readonly decision: DecisionConfig;
}

const DEFAULT_FALLBACK: ReadonlySet<ErrorCode> = new Set(
  ERROR_CODES.filter((code) => ERRORS[code].fallback),
);

/** Builds a snapshot from the files, or throws ConfigError naming the file and field. */
export function buildSnapshot(
  config: ConfigFiles,
  env: NodeJS.ProcessEnv = process.env,
  nowMs: number = Date.now(),
): ConfigSnapshot {
  const { files } = config;
  const read = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw new ConfigError(`${path}: the file is missing.`);
    return text;
  };
  const yaml = (path: string, fallback?: unknown): unknown => {
    const text = files.get(path);
    if (text === undefined && fallback !== undefined) return fallback;
    try {
      return parseYaml(read(path)) ?? {};
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(
        `${path}: not valid YAML (${(error as Error).message.split('\n')[0]}).`,
      );
    }
  };
  const json = (path: string): unknown => {
    try {
      return JSON.parse(read(path));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${path}: not valid JSON.`);
    }
  };

  const gateway = parseWith(GatewaySettings, yaml(CONTRACT_FILES.gateway), CONTRACT_FILES.gateway);
  checkSafetySettings(gateway.safety, CONTRACT_FILES.gateway);
  const routeSpecs = parseWith(
    RoutesFile,
    yaml(CONTRACT_FILES.routes, {}),
    CONTRACT_FILES.routes,
  ).routes;
  const budgetSpecs = parseWith(
    BudgetsFile,
    yaml(CONTRACT_FILES.budgets, {}),
    CONTRACT_FILES.budgets,
  ).budgets;
  const pricing = readPricing(
    files.has(CONTRACT_FILES.pricing) ? yaml(CONTRACT_FILES.pricing) : undefined,
  );
  const jwks = parseWith(Jwks, json(CONTRACT_FILES.jwks), CONTRACT_FILES.jwks);
  const resume = parseWith(
    ResumeKeysFile,
    json(CONTRACT_FILES.resumeKeys),
    CONTRACT_FILES.resumeKeys,
  );

  const auditKeys = files.has(CONTRACT_FILES.auditKeys)
    ? readAuditKeys(
        parseWith(AuditKeysFile, json(CONTRACT_FILES.auditKeys), CONTRACT_FILES.auditKeys),
        CONTRACT_FILES.auditKeys,
      )
    : undefined;
  const tls = readTlsMaterial(files, gateway.tls, nowMs);

  const routes = new Map<string, RouteConfig>();
  const modelEnv: Record<string, string> = {};
  for (const spec of routeSpecs) {
    if (routes.has(spec.alias))
      throw new ConfigError(`${CONTRACT_FILES.routes}: alias ${spec.alias} appears twice.`);
    routes.set(spec.alias, toRouteConfig(spec, files, env, modelEnv, nowMs));
  }
  if (gateway.defaultModel !== undefined && !routes.has(gateway.defaultModel)) {
    throw new ConfigError(
      `${CONTRACT_FILES.gateway}: defaultModel ${gateway.defaultModel} has no route.`,
    );
  }
  checkGuardRoute(gateway.safety.injection, routes, CONTRACT_FILES.gateway);

  const prompts = new Map<string, PromptManifestSpec[]>();
  for (const [path, text] of files) {
    if (!path.startsWith(PROMPTS_PREFIX) || !/\.ya?ml$/.test(path)) continue;
    const spec = parsePromptManifest(text, path);
    const versions = prompts.get(spec.id) ?? [];
    if (versions.some((known) => known.version === spec.version)) {
      throw new ConfigError(`${path}: prompt ${spec.id} version ${spec.version} is defined twice.`);
    }
    prompts.set(spec.id, [...versions, spec]);
  }

  const budgets = new Map(budgetSpecs.map((spec) => [spec.tenant, spec]));
  const keys = new Map(
    resume.keys.map(({ kid, secret }) => [kid, Buffer.from(secret, 'base64url')]),
  );
  if (!keys.has(resume.active)) {
    throw new ConfigError(
      `${CONTRACT_FILES.resumeKeys}: the active key ${resume.active} is not in keys.`,
    );
  }

  return {
    checksum: config.checksum,
    gateway,
    routes,
    prompts,
    budgets,
    pricing,
    jwks,
    resumeKeys: { active: resume.active, keys },
    auditKeys,
    tls,
    mcp: readMcp(files),
    decision: decisionConfig(files, modelEnv),
  };
}

/** pricing.yaml validated, its checksum that of its prices; absent: no prices. */
function readPricing(value: unknown): ConfigSnapshot['pricing'] {
  if (value === undefined) return { checksum: undefined, prices: [] };
  const file = parseWith(PricingFile, value, CONTRACT_FILES.pricing);
  const problem = pricingProblem(file);
  if (problem !== undefined) throw new ConfigError(`${CONTRACT_FILES.pricing}: ${problem}`);
  return { checksum: file.checksum, prices: file.prices };
}

function toRouteConfig(
  spec: ProviderRouteSpec,
  files: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv,
  /** Collects the `modelFrom.env` values read (the decision config records them). */
  modelEnv: Record<string, string>,
  nowMs: number,
): RouteConfig {
  const where = `${CONTRACT_FILES.routes}: route ${spec.alias}`;
  const targets = spec.targets.map((target, index): TargetConfig => {
    let model = target.model;
    if (model === undefined && target.modelFrom?.env !== undefined) {
      model = env[target.modelFrom.env];
      if (model === undefined || model === '') {
        throw new ConfigError(
          `${where}: target ${target.name} reads its model from env ${target.modelFrom.env}, which is unset.`,
        );
      }
      modelEnv[target.modelFrom.env] = model;
    }
    if (model === undefined) {
      throw new ConfigError(
        `${where}: target ${target.name} has no model (the operator resolves configMapKeyRef).`,
      );
    }
    const ref = target.credentials?.secretKeyRef;
    const apiKey = ref === undefined ? undefined : files.get(credentialFile(ref))?.trim();
    const tls =
      target.tls === undefined
        ? undefined
        : readUpstreamTls({ ...target, tls: target.tls }, files, where, nowMs);
    return {
      name: target.name,
      provider: target.provider,
      model,
      timeoutMs: target.timeoutMs ?? 30_000,
      weight: target.weight ?? 1,
      priority: target.priority ?? index,
      ...(target.baseURL === undefined ? {} : { baseURL: target.baseURL }),
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(tls === undefined ? {} : { tls }),
    };
  });
  return {
    alias: spec.alias,
    targets,
    fallbackOn: spec.fallbackOn === undefined ? DEFAULT_FALLBACK : new Set(spec.fallbackOn),
    retry: {
      maxAttempts: spec.retry?.maxAttempts ?? 2,
      baseDelayMs: spec.retry?.baseDelayMs ?? 200,
      maxDelayMs: spec.retry?.maxDelayMs ?? 5000,
    },
    circuitBreaker: {
      failureThreshold: spec.circuitBreaker?.failureThreshold ?? 5,
      openMs: spec.circuitBreaker?.openMs ?? 30_000,
    },
    midStreamFailure: spec.midStreamFailure ?? 'Error',
    balance: spec.balance ?? 'Weighted',
    ...(spec.cache === undefined
      ? {}
      : { cache: { ttlS: spec.cache.ttlS, sampled: spec.cache.sampled ?? false } }),
  };
}
