/**
 * The closed loop on one machine, without a kubelet: CRDs on the test control plane, the
 * operator (in this process, as its own ServiceAccount under the generated RBAC), the operator's
 * ConfigMaps and Secrets projected into a directory the way kubelet mounts them
 * (tests/support/kubelet-projection.ts), and a dataplane that reads that directory exactly as it
 * reads a pod's volumes. The e2e tests and `make dev` (scripts/dev.ts) both start it here; it
 * uses no vitest API, so it runs outside a test too.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { GROUP, VERSION } from '../../crds/common.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import { simulatedModelPods } from '../support/simulated-model-pods.ts';
import { startOperator, type OperatorHandle } from '../../operator/src/operator.ts';
import { createLogger, type LogLevel } from '../../operator/src/runtime/log.ts';
import { loadSettings } from '../../operator/src/settings.ts';
import { kubectlBinary } from '../cluster/harness.ts';
import { operatorIdentity } from '../support/operator-identity.ts';
import { GATEWAY_VOLUMES, projectVolumes, type Projection } from '../support/kubelet-projection.ts';
import { installCrds } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';

/** The operator's defaults for `iss` and `aud` (docs/operator.md, Settings). */
export const ISSUER = 'https://inference-service.local';
export const AUDIENCE = 'inference-service';
export const SCOPES = ['inference:invoke', 'inference:stream'];

export const PLURALS = {
  InferenceModel: 'inferencemodels',
  PromptManifest: 'promptmanifests',
  ProviderRoute: 'providerroutes',
  TenantBudget: 'tenantbudgets',
  MCPGateway: 'mcpgateways',
} as const;
export type Kind = keyof typeof PLURALS;

/** The rendered objects of the contract (operator/src/render/labels.ts GATEWAY_NAMES). */
export const CONTRACT = {
  config: 'inference-config',
  prompts: 'inference-prompts',
  keys: 'inference-keys',
  credentials: 'inference-credentials',
} as const;
export const CHECKSUM_ANNOTATION = 'inference.enis.io/config-checksum';

export interface LoopOptions {
  /** Admin kubeconfig of the cluster. */
  kubeconfig: string;
  /** The cluster's directory (its CA mints the operator's identity). */
  clusterDir: string;
  /** REDIS_URL of the dataplane; in-memory stores without it. */
  redisUrl?: string;
  /** A namespace to use (created when missing); default: a fresh `<prefix>-xxxxx`. */
  namespace?: string;
  prefix?: string;
  /** Operator settings on top of the loop's (INFERENCE_* variables). */
  operatorEnv?: Record<string, string>;
  operatorLogLevel?: LogLevel;
  /** Log the dataplane's lines (pino) to stdout. @default false */
  dataplaneLogs?: boolean;
  /** Port of the dataplane on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** `kid` of the client-token signing key. @default `e2e-1` */
  kid?: string;
  /**
   * Serve HTTPS from the operator's certificates (INFERENCE_TLS=operator in operatorEnv): the
   * Secret inference-tls is projected at tls/, and the dataplane starts only once `resources`
   * are applied and every volume is written (the listener's protocol is fixed at start). The
   * loop's `post` and `readyz` speak plain fetch: a TLS test brings its own client.
   */
  tls?: { resources: readonly object[] };
}

export interface Loop {
  namespace: string;
  /** The projected directory: the dataplane's CONFIG_DIR. */
  root: string;
  /** The dataplane's base URL. */
  url: string;
  app: FastifyInstance;
  projection: Projection;
  adminKubeconfig: string;
  operatorKubeconfig: string;
  /** The running operator (a new one after restartOperator). */
  operator(): OperatorHandle;
  stopOperator(): Promise<void>;
  startOperator(): Promise<OperatorHandle>;
  /** A client JWT signed by the key whose public half the operator renders into keys/jwks.json. */
  token(claims?: { tenant?: string; scopes?: string[]; ttlS?: number }): Promise<string>;
  /** Runs the cluster's kubectl as admin in the loop's namespace; rejects on a non-zero exit. */
  kubectl(args: readonly string[], stdin?: string): Promise<string>;
  /** `kubectl apply -f -` of these objects (namespace defaulted). */
  apply(objects: readonly object[]): Promise<void>;
  /** The dataplane's /readyz details. */
  readyz(): Promise<Readyz>;
  /** POST to the dataplane with a bearer token. */
  post(
    path: string,
    body: unknown,
    token: string,
    signal?: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<Response>;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  objects: CustomObjectsApi;
  /** Stops the dataplane, the projection and the operator; deletes the namespace (unless kept). */
  stop(options?: { keepNamespace?: boolean }): Promise<void>;
}

export interface Readyz {
  status: number;
  config_checksum: string | null;
  config_error: string | null;
  routes: string[];
  prompts_loaded: number;
}

export { installCrds };

export { eventually };

/** Runs a command, resolves to its stdout; rejects with its stderr on a non-zero exit. */
function run(command: string, args: readonly string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited ${String(code)}: ${stderr}`));
    });
    child.stdin.end(stdin ?? '');
  });
}

export async function startLoop(options: LoopOptions): Promise<Loop> {
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? '';
  if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) {
    throw new Error(`The loop runs against a loopback test cluster only; got "${server}"`);
  }
  const core = kc.makeApiClient(CoreV1Api);
  await installCrds(kc);

  let namespace: string;
  if (options.namespace === undefined) {
    const created = await core.createNamespace({
      body: { metadata: { generateName: `${options.prefix ?? 'e2e'}-` } },
    });
    namespace = created.metadata!.name!;
  } else {
    namespace = options.namespace;
    await core
      .createNamespace({ body: { metadata: { name: namespace } } })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 409) throw err;
      });
  }
  const identity = await operatorIdentity(kc, options.clusterDir, namespace);

  // Client tokens: the operator renders this public key into keys/jwks.json.
  const kid = options.kid ?? 'e2e-1';
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }],
  });
  const env: Record<string, string> = {
    KUBECONFIG: identity.kubeconfig,
    INFERENCE_WATCH_NAMESPACES: namespace,
    INFERENCE_LEASE_NAMESPACE: namespace,
    INFERENCE_AUTH_JWKS: jwks,
    INFERENCE_HEALTH_PORT: '0',
    INFERENCE_METRICS_PORT: '0',
    INFERENCE_BIND_ADDRESS: '127.0.0.1',
    INFERENCE_LEASE_DURATION_MS: '3000',
    INFERENCE_RENEW_DEADLINE_MS: '2000',
    INFERENCE_RETRY_PERIOD_MS: '500',
    INFERENCE_RESYNC_MS: '0',
    // One machine: the gateways' Redis is where the operator reads their spend from too.
    ...(options.redisUrl === undefined
      ? {}
      : { INFERENCE_REDIS_URL: options.redisUrl, INFERENCE_BUDGET_REDIS_URL: options.redisUrl }),
    // As the chart mounts it: the repository's prices, rendered into the contract.
    INFERENCE_PRICING_FILE: fileURLToPath(new URL('../../config/pricing.yaml', import.meta.url)),
    ...options.operatorEnv,
    // Budget keys of their own per loop: loops run in parallel on one Redis, with one tenant.
    INFERENCE_GATEWAY_SETTINGS: JSON.stringify({
      budgets: { keyPrefix: `${namespace}:` },
      ...(JSON.parse(options.operatorEnv?.['INFERENCE_GATEWAY_SETTINGS'] ?? '{}') as object),
    }),
  };
  const settings = loadSettings(env, []);
  const logger = createLogger(options.operatorLogLevel ?? 'silent');
  const modelProbeFetch = simulatedModelPods(core);
  let operator: OperatorHandle | undefined = await startOperator({
    settings,
    logger,
    modelProbeFetch,
  });

  // The dataplane watches root from the start: the mounts appear below it on the first render.
  const root = await mkdtemp(join(tmpdir(), `${namespace}-config-`));
  const projection = projectVolumes({
    kubeconfig: options.kubeconfig,
    namespace,
    root,
    ...(options.tls === undefined
      ? {}
      : { sources: [...GATEWAY_VOLUMES, { kind: 'Secret', name: 'inference-tls', path: 'tls' }] }),
  });
  const kubectl = (args: readonly string[], stdin?: string): Promise<string> =>
    run(kubectlBinary, ['--kubeconfig', options.kubeconfig, '-n', namespace, ...args], stdin);
  const apply = async (objects: readonly object[]): Promise<void> => {
    const items = objects.map((o) => ({ metadata: {}, ...o }));
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  };
  if (options.tls !== undefined) {
    await apply(options.tls.resources);
    await projection.ready;
  }
  const redis =
    options.redisUrl === undefined
      ? undefined
      : new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const app = await buildApp({
    configDirs: [root],
    watch: true,
    defaultMetrics: false,
    batchWorkers: 0,
    logger: options.dataplaneLogs === true ? { level: 'info' } : false,
    ...(redis === undefined ? {} : { redis }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });

  let stopped = false;
  return {
    namespace,
    root,
    url,
    app,
    projection,
    adminKubeconfig: options.kubeconfig,
    operatorKubeconfig: identity.kubeconfig,
    operator: () => {
      if (operator === undefined) throw new Error('The operator is stopped.');
      return operator;
    },
    stopOperator: async () => {
      const running = operator;
      operator = undefined;
      await running?.stop();
    },
    startOperator: async () => {
      if (operator !== undefined) throw new Error('The operator is running.');
      operator = await startOperator({ settings, logger, modelProbeFetch });
      return operator;
    },
    token: (claims = {}) => signToken(privateKey, kid, claims),
    kubectl,
    apply,
    readyz: async () => {
      const response = await fetch(`${url}/readyz`);
      const details = (await response.json()) as Partial<Readyz>;
      return {
        status: response.status,
        config_checksum: details.config_checksum ?? null,
        config_error: details.config_error ?? null,
        routes: details.routes ?? [],
        prompts_loaded: details.prompts_loaded ?? 0,
      };
    },
    post: (path, body, token, signal, headers = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-request-id': randomUUID(),
          ...headers,
        },
        body: JSON.stringify(body),
        ...(signal === undefined ? {} : { signal }),
      }),
    core,
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    objects: kc.makeApiClient(CustomObjectsApi),
    stop: async (stopOptions = {}) => {
      if (stopped) return;
      stopped = true;
      await app.close();
      await redis?.quit().catch(() => undefined);
      await projection.stop();
      await operator?.stop();
      operator = undefined;
      if (stopOptions.keepNamespace !== true) {
        await core.deleteNamespace({ name: namespace }).catch(() => undefined);
        await identity.cleanup();
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

function signToken(
  key: CryptoKey,
  kid: string,
  claims: { tenant?: string; scopes?: string[]; ttlS?: number },
): Promise<string> {
  return new SignJWT({
    tenant: claims.tenant ?? 'acme',
    scope: (claims.scopes ?? SCOPES).join(' '),
  })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('e2e')
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlS ?? 3600}s`)
    .sign(key);
}

/** A custom resource of the five kinds, as kubectl applies it. */
export function resource(kind: Kind, name: string, spec: object): object {
  return { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec };
}
