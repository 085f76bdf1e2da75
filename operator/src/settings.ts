/**
 * The operator's own configuration: environment variables (what the Helm chart sets), each
 * overridable by a command-line flag of the same name (`INFERENCE_GATEWAY_IMAGE` is
 * `--gateway-image`). Every setting, its variable and its default is in SETTINGS below and in
 * docs/operator.md.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import { GatewaySettings } from '../../crds/gateway-settings.ts';
import { parsePricing, PricingError } from '../../crds/pricing-check.ts';
import {
  KEY_ROTATION_SETTINGS,
  readKeyRotation,
  type KeyRotation,
} from './key-rotation-settings.ts';
import { readTlsSource, TLS_SETTINGS, type TlsSource } from './tls-settings.ts';
import type { LogLevel } from './runtime/log.ts';
import { LOG_LEVELS } from './runtime/log.ts';

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface GatewayWorkloadSettings {
  /** Image of the dataplane gateway. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  replicas: number;
  resources: ResourceRequirements;
  /** Extra environment of the gateway (e.g. the variables that `modelFrom.env` names). */
  env: Record<string, string>;
  /** REDIS_URL of the gateway. */
  redisUrl: string;
  /** CIDR of Redis for the egress policy when it is outside the cluster; unset: in-cluster pods. */
  redisCidr: string | undefined;
}

/** Where TenantBudget status reads each tenant's spend (controllers/tenant-budget.ts). */
export interface BudgetSpendSettings {
  /** The Redis the gateways charge in, read-only; unset: spend is unknown. */
  redisUrl: string | undefined;
  /** Prefix of the spend keys: gateway.yaml's `budgets.keyPrefix`, which the gateways use. */
  keyPrefix: string;
  /** A budget's spend is read again this often. @default 30000 */
  refreshMs: number;
}

/** The chart's `mcp` values. */
export interface McpSettings {
  /** Whether MCPGateways are rendered at all (mcp.yaml `enabled`). @default false */
  enabled: boolean;
  /** How often the gateways report their servers and status reads it again. @default 30 */
  statusIntervalS: number;
}

export interface Settings {
  /** Namespaces to watch; empty: all. */
  watchNamespaces: string[];
  gateway: GatewayWorkloadSettings;
  /** Image of model servers with `runtime: onnx` (the dataplane image in model-server mode). */
  modelServerImage: string;
  /** `gateway.yaml` of the config contract, from the operator's settings. */
  gatewayConfig: GatewaySettings;
  /** `keys/jwks.json`: the public keys that verify client JWTs, as JSON text. */
  jwks: string;
  /** A key that leaves the JWKS source stays published this long (controllers/jwks.ts). */
  jwksRetentionMs: number;
  /** The issuer's JWKS URL the operator fetches (runtime/jwks-fetcher.ts); unset: none. */
  jwksUrl: string | undefined;
  jwksRefreshMs: number;
  /**
   * `pricing.yaml` of the config contract, as the file's text, its checksum verified at start;
   * unset: the contract has no pricing file.
   */
  pricing: string | undefined;
  budgetSpend: BudgetSpendSettings;
  /** The MCP gateway (controllers/mcp-gateway.ts). */
  mcp: McpSettings;
  /** No egress beyond DNS and in-cluster targets. */
  airGapped: boolean;
  /** Rotation of the resume-token HMAC keyring (`keys/resume.json`). */
  resumeKeys: KeyRotation;
  /** Rotation of the audit checkpoint keys (`keys/audit.json`). */
  auditKeys: KeyRotation;
  /** Where the gateway's TLS certificates come from (tls-settings.ts). */
  tls: TlsSource;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    leaseNamespace: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
    identity: string;
  };
  /** Keys each controller reconciles at once. */
  concurrency: number;
  /** Every key is reconciled again this often, changes or not (0 disables). */
  resyncMs: number;
  apiQps: number;
  apiBurst: number;
  /** /healthz and /readyz (0: any free port). */
  healthPort: number;
  /** /metrics (0: any free port). */
  metricsPort: number;
  /** Address the health and metrics servers bind. */
  bindAddress: string;
  logLevel: LogLevel;
  /** Path of a kubeconfig; unset: KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig: string | undefined;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace this pod runs in, else `default`. */
function podNamespace(env: NodeJS.ProcessEnv): string {
  if (env['POD_NAMESPACE'] !== undefined && env['POD_NAMESPACE'] !== '')
    return env['POD_NAMESPACE'];
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** One setting: its environment variable (the flag is derived) and default. */
export interface SettingSpec {
  env: string;
  description: string;
  default: string;
}

/** Every setting, for docs/operator.md and the flags. */
export const SETTINGS: readonly SettingSpec[] = [
  {
    env: 'INFERENCE_WATCH_NAMESPACES',
    default: '',
    description: 'Comma-separated namespaces to watch; empty watches all.',
  },
  {
    env: 'INFERENCE_GATEWAY_IMAGE',
    default: 'inference-service-dataplane:dev',
    description: 'Image of the dataplane gateway.',
  },
  {
    env: 'INFERENCE_GATEWAY_IMAGE_PULL_POLICY',
    default: 'IfNotPresent',
    description: 'imagePullPolicy of the gateway and model servers.',
  },
  {
    env: 'INFERENCE_GATEWAY_REPLICAS',
    default: '2',
    description: 'Replicas of the gateway Deployment.',
  },
  {
    env: 'INFERENCE_GATEWAY_RESOURCES',
    default: '{"requests":{"cpu":"100m","memory":"256Mi"},"limits":{"memory":"512Mi"}}',
    description: 'Resources of the gateway container, as JSON.',
  },
  {
    env: 'INFERENCE_GATEWAY_ENV',
    default: '{}',
    description:
      'Extra environment of the gateway as a JSON object (the variables `modelFrom.env` names).',
  },
  {
    env: 'INFERENCE_REDIS_URL',
    default: 'redis://redis:6379',
    description: 'REDIS_URL of the gateway; its port opens in the egress policy.',
  },
  {
    env: 'INFERENCE_REDIS_CIDR',
    default: '',
    description:
      'CIDR of an out-of-cluster Redis for the egress policy; empty: Redis runs in the cluster.',
  },
  {
    env: 'INFERENCE_PRICING_FILE',
    default: '',
    description:
      "Pricing file (crds/pricing.ts) rendered as pricing.yaml into every namespace's config contract; the operator refuses to start when it is invalid or its checksum is stale. Empty: no pricing.yaml.",
  },
  {
    env: 'INFERENCE_BUDGET_REDIS_URL',
    default: '',
    description:
      "Redis the operator reads tenants' spend from (read-only) for TenantBudget status: the one the gateways charge in. Empty: spend is unknown.",
  },
  {
    env: 'INFERENCE_BUDGET_REFRESH_S',
    default: '30',
    description: "How often, in seconds, a TenantBudget's spend is read again.",
  },
  {
    env: 'INFERENCE_MCP_ENABLED',
    default: 'false',
    description:
      "The chart's mcp.enabled: whether MCPGateways are rendered (mcp.yaml of the config contract) and served; false: none is, whatever its spec.enabled.",
  },
  {
    env: 'INFERENCE_MCP_STATUS_INTERVAL_S',
    default: '30',
    description:
      "How often, in seconds, the gateways report their MCP servers' reachability and tool count (mcp.yaml statusIntervalS) into the Redis the operator reads (INFERENCE_BUDGET_REDIS_URL), and the operator reads it again for MCPGateway status.",
  },
  {
    env: 'INFERENCE_MODEL_SERVER_IMAGE',
    default: '',
    description: 'Image of `runtime: onnx` model servers; empty: the gateway image.',
  },
  {
    env: 'INFERENCE_AUTH_ISSUER',
    default: 'https://inference-service.local',
    description: 'Required `iss` of client JWTs (gateway.yaml).',
  },
  {
    env: 'INFERENCE_AUTH_AUDIENCE',
    default: 'inference-service',
    description: 'Required `aud` of client JWTs (gateway.yaml).',
  },
  {
    env: 'INFERENCE_AUTH_TENANT_CLAIM',
    default: 'tenant',
    description: 'JWT claim that names the tenant (gateway.yaml).',
  },
  {
    env: 'INFERENCE_AUTH_JWKS',
    default: '',
    description:
      'JWKS (JSON) that verifies client JWTs: keys/jwks.json. Required unless INFERENCE_AUTH_JWKS_FILE is set.',
  },
  {
    env: 'INFERENCE_AUTH_JWKS_FILE',
    default: '',
    description: 'File holding the JWKS, instead of INFERENCE_AUTH_JWKS.',
  },
  {
    env: 'INFERENCE_AUTH_JWKS_URL',
    default: '',
    description:
      "The issuer's JWKS URL (https; http only on loopback): the operator fetches it every INFERENCE_AUTH_JWKS_REFRESH_MS and renders it into keys/jwks.json (a namespace's Secret inference-auth-jwks still wins); the gateway never fetches. With it, INFERENCE_AUTH_JWKS is optional (it serves until the first fetch).",
  },
  {
    env: 'INFERENCE_AUTH_JWKS_REFRESH_MS',
    default: '300000',
    description: 'How often the operator fetches INFERENCE_AUTH_JWKS_URL.',
  },
  {
    env: 'INFERENCE_AUTH_JWKS_RETENTION_MS',
    default: '86400000',
    description:
      "A key that leaves the JWKS (INFERENCE_AUTH_JWKS, or a namespace's Secret inference-auth-jwks, which wins) stays published this long plus INFERENCE_RESUME_KEY_PROPAGATION_MS: at least the longest lifetime of a token it signed.",
  },
  {
    env: 'INFERENCE_DEFAULT_MODEL',
    default: '',
    description:
      'Default model alias (gateway.yaml); left out while no route of that alias exists.',
  },
  {
    env: 'INFERENCE_GATEWAY_SETTINGS',
    default: '{}',
    description:
      'JSON merged into gateway.yaml: `limits`, `streams`, `safety` (schema: crds/gateway-settings.ts).',
  },
  {
    env: 'INFERENCE_AIR_GAPPED',
    default: 'false',
    description: 'Air-gapped: the gateway may reach DNS and in-cluster targets only.',
  },
  {
    env: 'INFERENCE_LEADER_ELECTION',
    default: 'true',
    description: 'Elect one leader among replicas on a Lease.',
  },
  {
    env: 'INFERENCE_LEASE_NAME',
    default: 'inference-operator',
    description: 'Name of the leader-election Lease.',
  },
  {
    env: 'INFERENCE_LEASE_NAMESPACE',
    default: '',
    description: "Namespace of the Lease; empty: the pod's own namespace.",
  },
  {
    env: 'INFERENCE_LEASE_DURATION_MS',
    default: '15000',
    description: 'How long a standby waits on an unrenewed Lease before taking it.',
  },
  {
    env: 'INFERENCE_RENEW_DEADLINE_MS',
    default: '10000',
    description: 'How long the leader keeps leading without a successful renewal.',
  },
  {
    env: 'INFERENCE_RETRY_PERIOD_MS',
    default: '2000',
    description: 'How often candidates try, and the leader renews.',
  },
  {
    env: 'INFERENCE_IDENTITY',
    default: '',
    description: "This replica's holderIdentity; empty: hostname and pid.",
  },
  {
    env: 'INFERENCE_CONCURRENCY',
    default: '4',
    description: 'Keys each controller reconciles at once.',
  },
  ...KEY_ROTATION_SETTINGS,
  ...TLS_SETTINGS,
  {
    env: 'INFERENCE_RESYNC_MS',
    default: '600000',
    description: 'Every resource is reconciled again this often; 0 disables.',
  },
  { env: 'INFERENCE_API_QPS', default: '50', description: 'Steady API requests per second.' },
  {
    env: 'INFERENCE_API_BURST',
    default: '100',
    description: 'API requests allowed in a burst above the QPS.',
  },
  { env: 'INFERENCE_HEALTH_PORT', default: '8081', description: 'Port of /healthz and /readyz.' },
  { env: 'INFERENCE_METRICS_PORT', default: '8080', description: 'Port of /metrics (Prometheus).' },
  {
    env: 'INFERENCE_BIND_ADDRESS',
    default: '0.0.0.0',
    description: 'Address the health and metrics servers listen on.',
  },
  {
    env: 'INFERENCE_LOG_LEVEL',
    default: 'info',
    description: 'debug, info, warn, error or silent.',
  },
  {
    env: 'KUBECONFIG',
    default: '',
    description: 'Kubeconfig path; empty: ~/.kube/config, then the in-cluster ServiceAccount.',
  },
];

/** `INFERENCE_GATEWAY_IMAGE` → `--gateway-image`. */
export function flagName(env: string): string {
  return `--${env
    .replace(/^INFERENCE_/, '')
    .toLowerCase()
    .replaceAll('_', '-')}`;
}

/** Environment merged with `--flag=value` / `--flag value` arguments (flags win). */
export function mergeFlags(
  env: NodeJS.ProcessEnv,
  argv: readonly string[],
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const spec of SETTINGS) {
    const value = env[spec.env];
    if (value !== undefined) merged[spec.env] = value;
  }
  const byFlag = new Map(SETTINGS.map((s) => [flagName(s.env), s.env]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new SettingsError(`Unexpected argument ${arg}.`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const envName = byFlag.get(flag);
    if (envName === undefined) throw new SettingsError(`Unknown flag ${flag}.`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new SettingsError(`Flag ${flag} needs a value.`);
    merged[envName] = value;
  }
  return merged;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Reads the settings from the environment and flags; throws SettingsError naming the variable. */
export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): Settings {
  const values = mergeFlags(env, argv);
  const get = (name: string): string => {
    const spec = SETTINGS.find((s) => s.env === name);
    if (spec === undefined) throw new Error(`No setting ${name}`);
    return values[name] ?? spec.default;
  };
  const int = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const text = get(name);
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new SettingsError(`${name} must be an integer of at least ${min}; got "${text}".`);
    }
    if (value > max)
      throw new SettingsError(`${name} must be an integer of at most ${max}; got "${text}".`);
    return value;
  };
  const bool = (name: string): boolean => {
    const text = get(name).toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no', ''].includes(text)) return false;
    throw new SettingsError(`${name} must be true or false; got "${text}".`);
  };
  const json = (name: string): unknown => {
    try {
      return JSON.parse(get(name)) as unknown;
    } catch {
      throw new SettingsError(`${name} must be JSON.`);
    }
  };
  const object = (name: string): Record<string, unknown> => {
    const value = json(name);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SettingsError(`${name} must be a JSON object.`);
    }
    return value as Record<string, unknown>;
  };
  const list = (name: string): string[] =>
    get(name)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');

  const pullPolicy = get('INFERENCE_GATEWAY_IMAGE_PULL_POLICY');
  if (pullPolicy !== 'Always' && pullPolicy !== 'IfNotPresent' && pullPolicy !== 'Never') {
    throw new SettingsError(
      'INFERENCE_GATEWAY_IMAGE_PULL_POLICY must be Always, IfNotPresent or Never.',
    );
  }
  const logLevel = get('INFERENCE_LOG_LEVEL') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SettingsError(`INFERENCE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  const jwksFile = get('INFERENCE_AUTH_JWKS_FILE');
  const jwks = jwksFile === '' ? get('INFERENCE_AUTH_JWKS') : readFileSync(jwksFile, 'utf8');
  const jwksUrl = readJwksUrl(get('INFERENCE_AUTH_JWKS_URL'));
  if (jwks === '' && jwksUrl === undefined) {
    throw new SettingsError(
      'Set INFERENCE_AUTH_JWKS (or INFERENCE_AUTH_JWKS_FILE): the gateway cannot verify client tokens without a JWKS.',
    );
  }
  const gatewayConfig = parseGatewayConfig(
    {
      ...object('INFERENCE_GATEWAY_SETTINGS'),
      auth: {
        issuer: get('INFERENCE_AUTH_ISSUER'),
        audience: get('INFERENCE_AUTH_AUDIENCE'),
        tenantClaim: get('INFERENCE_AUTH_TENANT_CLAIM'),
      },
      ...(get('INFERENCE_DEFAULT_MODEL') === ''
        ? {}
        : { defaultModel: get('INFERENCE_DEFAULT_MODEL') }),
    },
    'INFERENCE_GATEWAY_SETTINGS',
  );
  const gatewayEnv = object('INFERENCE_GATEWAY_ENV');
  for (const [key, value] of Object.entries(gatewayEnv)) {
    if (typeof value !== 'string')
      throw new SettingsError(`INFERENCE_GATEWAY_ENV.${key} must be a string.`);
  }
  const image = get('INFERENCE_GATEWAY_IMAGE');
  const budgetRedisUrl = get('INFERENCE_BUDGET_REDIS_URL');
  const kubeconfig = get('KUBECONFIG');
  return {
    watchNamespaces: list('INFERENCE_WATCH_NAMESPACES'),
    gateway: {
      image,
      imagePullPolicy: pullPolicy,
      replicas: int('INFERENCE_GATEWAY_REPLICAS'),
      resources: object('INFERENCE_GATEWAY_RESOURCES'),
      env: gatewayEnv as Record<string, string>,
      redisUrl: get('INFERENCE_REDIS_URL'),
      redisCidr: get('INFERENCE_REDIS_CIDR') === '' ? undefined : get('INFERENCE_REDIS_CIDR'),
    },
    modelServerImage:
      get('INFERENCE_MODEL_SERVER_IMAGE') === '' ? image : get('INFERENCE_MODEL_SERVER_IMAGE'),
    gatewayConfig,
    jwks: jwks === '' ? '' : validateJwks(jwks),
    jwksUrl,
    jwksRefreshMs: int('INFERENCE_AUTH_JWKS_REFRESH_MS', 1000),
    jwksRetentionMs: int('INFERENCE_AUTH_JWKS_RETENTION_MS'),
    pricing: readPricingFile(get('INFERENCE_PRICING_FILE')),
    budgetSpend: {
      redisUrl: budgetRedisUrl === '' ? undefined : budgetRedisUrl,
      keyPrefix: gatewayConfig.budgets.keyPrefix,
      refreshMs: int('INFERENCE_BUDGET_REFRESH_S', 1) * 1000,
    },
    mcp: {
      enabled: bool('INFERENCE_MCP_ENABLED'),
      statusIntervalS: int('INFERENCE_MCP_STATUS_INTERVAL_S', 5, 3600),
    },
    airGapped: bool('INFERENCE_AIR_GAPPED'),
    ...readKeyRotation(int),
    tls: readTlsSource(get, int, gatewayConfig, (message) => new SettingsError(message)),
    leaderElection: {
      enabled: bool('INFERENCE_LEADER_ELECTION'),
      leaseName: get('INFERENCE_LEASE_NAME'),
      leaseNamespace:
        get('INFERENCE_LEASE_NAMESPACE') === ''
          ? podNamespace(env)
          : get('INFERENCE_LEASE_NAMESPACE'),
      leaseDurationMs: int('INFERENCE_LEASE_DURATION_MS', 1000),
      renewDeadlineMs: int('INFERENCE_RENEW_DEADLINE_MS', 1),
      retryPeriodMs: int('INFERENCE_RETRY_PERIOD_MS', 1),
      identity:
        get('INFERENCE_IDENTITY') === ''
          ? `${hostname()}_${process.pid}`
          : get('INFERENCE_IDENTITY'),
    },
    concurrency: int('INFERENCE_CONCURRENCY', 1),
    resyncMs: int('INFERENCE_RESYNC_MS'),
    apiQps: int('INFERENCE_API_QPS', 1),
    apiBurst: int('INFERENCE_API_BURST', 1),
    healthPort: int('INFERENCE_HEALTH_PORT'),
    metricsPort: int('INFERENCE_METRICS_PORT'),
    bindAddress: get('INFERENCE_BIND_ADDRESS'),
    logLevel,
    kubeconfig: kubeconfig === '' ? undefined : kubeconfig,
  };
}

/** gateway.yaml with the dataplane schema's defaults applied, or SettingsError. */
export function parseGatewayConfig(value: unknown, source: string): GatewaySettings {
  const withDefaults: unknown = Value.Default(GatewaySettings, Value.Clone(value));
  const error = Value.Errors(GatewaySettings, withDefaults).First();
  if (error !== undefined)
    throw new SettingsError(`${source}: ${error.path || '/'} ${error.message}`);
  return withDefaults as GatewaySettings;
}

/** The pricing file's text, verified whole (schema, duplicates, checksum); '' is none. */
function readPricingFile(path: string): string | undefined {
  if (path === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingsError(
      `INFERENCE_PRICING_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
    );
  }
  try {
    parsePricing(text, path);
  } catch (err) {
    if (err instanceof PricingError)
      throw new SettingsError(`INFERENCE_PRICING_FILE: ${err.message}`);
    throw err;
  }
  return text;
}

/** An https URL, or http to a loopback host (tests, a local issuer); '' is none. */
function readJwksUrl(text: string): string | undefined {
  if (text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SettingsError(`INFERENCE_AUTH_JWKS_URL is not a URL; got "${text}".`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SettingsError('INFERENCE_AUTH_JWKS_URL must be https (http only on loopback).');
  }
  return url.toString();
}

function validateJwks(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SettingsError('The JWKS is not JSON.');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SettingsError('The JWKS must be an object with a non-empty "keys" array.');
  }
  return JSON.stringify(parsed);
}
