/**
 * The systems of the gateway benchmark. Each is started fresh for its turn in a round, pinned
 * to CORE_SUT, measured, and stopped; `direct` is the client talking to the mock itself.
 */
import { fileURLToPath } from 'node:url';
import { makeConfigDir, type ConfigDir } from '../../tests/support/config-dir.ts';
import type { RequestSpec, StreamFormat } from '../load/request-spec.ts';
import {
  CORE_SUT,
  freePort,
  readyPort,
  spawnPinned,
  waitHttp,
  type Pinned,
} from '../support/processes.ts';
import { pricingChecksum } from '../../crds/pricing.ts';
import { ALIAS, chatBody, JSON_MODEL, nativeBody, promptBody, STREAM_MODEL } from './workload.ts';

export const SYSTEM_NAMES = [
  'direct',
  'raw-proxy',
  'portkey',
  'ours-minimal',
  'ours-full',
  // The full pipeline without the budget guard: what the guard costs, in the same run.
  'ours-full-noguard',
  // The full pipeline without the audit receipt: what the receipt costs, in the same run.
  'ours-full-noaudit',
  // Optional (BENCH_SYSTEMS): the full pipeline on the in-process mock provider, no upstream,
  // which separates the pipeline's cost from the provider client's.
  'ours-full-builtin',
] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];
export const DEFAULT_SYSTEMS: readonly SystemName[] = [
  'direct',
  'raw-proxy',
  'portkey',
  'ours-minimal',
  'ours-full',
  'ours-full-noguard',
  'ours-full-noaudit',
];

/** A surface a system is measured on besides its OpenAI-compatible one (ours only). */
export interface ExtraSurface {
  name: string;
  json: RequestSpec;
  stream?: { spec: RequestSpec; format: StreamFormat };
}

export interface RunningSystem {
  name: SystemName;
  /** The process under test; undefined for `direct`. */
  process: Pinned | undefined;
  json: RequestSpec;
  stream: RequestSpec;
  streamFormat: StreamFormat;
  extras: ExtraSurface[];
  stop(): Promise<void>;
}

export interface Environment {
  /** The mock upstream, `http://127.0.0.1:<port>`. */
  mock: string;
  /** A Redis the full pipeline uses, `redis://127.0.0.1:<port>`. */
  redisUrl: string;
  repo: string;
  /** Where the dataplane's output goes (its request logs at `info`). */
  logFile: string;
  /** Extra node flags for our dataplane (the profile passes --cpu-prof). */
  nodeFlags?: string[];
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const JSON_HEADERS = { 'content-type': 'application/json' };

export async function startSystem(name: SystemName, env: Environment): Promise<RunningSystem> {
  switch (name) {
    case 'direct':
      return {
        name,
        process: undefined,
        ...openaiSpecs(env.mock, { ...JSON_HEADERS, authorization: 'Bearer sk-bench' }),
        extras: [],
        stop: async () => undefined,
      };
    case 'raw-proxy': {
      const proxy = spawnPinned('raw-proxy', 'node', [`${repoRoot}bench/raw-proxy.ts`], {
        core: CORE_SUT,
        env: { UPSTREAM: env.mock, NODE_ENV: 'production' },
      });
      const port = await readyPort(proxy);
      const origin = `http://127.0.0.1:${port}`;
      return {
        name,
        process: proxy,
        ...openaiSpecs(origin, { ...JSON_HEADERS, authorization: 'Bearer sk-bench' }),
        extras: [],
        stop: () => proxy.stop(),
      };
    }
    case 'portkey': {
      const port = await freePort();
      const portkey = spawnPinned(
        'portkey',
        'node',
        [
          // Its server listens on every interface; this keeps it on loopback.
          '--import',
          `${repoRoot}bench/support/listen-loopback.ts`,
          `${repoRoot}bench/systems/node_modules/@portkey-ai/gateway/build/start-server.js`,
          `--port=${port}`,
          '--headless',
        ],
        { core: CORE_SUT, env: { NODE_ENV: 'production' } },
      );
      const origin = `http://127.0.0.1:${port}`;
      await waitHttp(portkey, `${origin}/`, 30_000, (status) => status === 200);
      return {
        name,
        process: portkey,
        ...openaiSpecs(origin, {
          ...JSON_HEADERS,
          authorization: 'Bearer sk-bench',
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${env.mock}/v1`,
        }),
        extras: [],
        stop: () => portkey.stop(),
      };
    }
    case 'ours-minimal':
    case 'ours-full':
    case 'ours-full-noguard':
    case 'ours-full-noaudit':
    case 'ours-full-builtin':
      return startOurs(name, env);
  }
}

function openaiSpecs(
  origin: string,
  headers: Record<string, string>,
  models: { json: string; stream: string } = { json: JSON_MODEL, stream: STREAM_MODEL },
): Pick<RunningSystem, 'json' | 'stream' | 'streamFormat'> {
  const path = '/v1/chat/completions';
  return {
    json: { origin, path, headers, body: chatBody(models.json, false) },
    stream: { origin, path, headers, body: chatBody(models.stream, true) },
    streamFormat: 'openai',
  };
}

/** Our dataplane as `node dataplane/src/main.ts` on a config contract directory of its own. */
async function startOurs(
  name:
    'ours-minimal' | 'ours-full' | 'ours-full-noguard' | 'ours-full-noaudit' | 'ours-full-builtin',
  env: Environment,
): Promise<RunningSystem> {
  const full = name !== 'ours-minimal';
  const config = await oursConfig(env.mock, {
    full,
    builtin: name === 'ours-full-builtin',
    guard: full && name !== 'ours-full-noguard',
    // The minimal pipeline stays what it was: auth and routing, no receipt.
    audit: full && name !== 'ours-full-noaudit',
  });
  const port = await freePort();
  const dataplane = spawnPinned(
    name,
    'node',
    [...(env.nodeFlags ?? []), `${env.repo}dataplane/src/main.ts`],
    {
      core: CORE_SUT,
      env: {
        CONFIG_DIR: config.dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        // Production logs a line per request at info; the minimal pipeline logs warnings only.
        LOG_LEVEL: full ? 'info' : 'warn',
        ...(full ? { REDIS_URL: env.redisUrl } : {}),
      },
      logFile: env.logFile,
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(dataplane, `${origin}/readyz`, 30_000, (status) => status === 200);
  } catch (error) {
    await dataplane.stop();
    await config.cleanup();
    throw error;
  }
  const token = await config.token({ ttlS: 3600 });
  const headers = { ...JSON_HEADERS, authorization: `Bearer ${token}` };
  // The native surface needs an x-request-id, and the load tools send one fixed id: its tenant
  // has no budget (a metered one would answer repeats of the id from its first decision).
  const nativeToken = await config.token({ ttlS: 3600, tenant: 'bench-native' });
  const native = {
    ...JSON_HEADERS,
    authorization: `Bearer ${nativeToken}`,
    'x-request-id': 'bench-request',
  };
  const extras: ExtraSurface[] = full
    ? [
        {
          name: 'native',
          json: {
            origin,
            path: '/api/v1/inference',
            headers: native,
            body: nativeBody(ALIAS.json),
          },
          stream: {
            spec: {
              origin,
              path: '/api/v1/inference:stream',
              headers: native,
              body: nativeBody(ALIAS.stream),
            },
            format: 'native',
          },
        },
        {
          name: 'native+prompt',
          json: {
            origin,
            path: '/api/v1/inference',
            headers: native,
            body: promptBody(ALIAS.json),
          },
        },
      ]
    : [];
  return {
    name,
    process: dataplane,
    ...openaiSpecs(origin, headers, ALIAS),
    extras,
    async stop() {
      await dataplane.stop();
      await config.cleanup();
    },
  };
}

/**
 * The config contract our dataplane runs on: two aliases on the mock upstream through the
 * openai-compatible provider (or on the in-process mock provider), the full safety policy or
 * none, and the prompts of the repository.
 */
export async function oursConfig(
  mock: string,
  options: {
    full: boolean;
    builtin?: boolean;
    /** A TenantBudget for the token's tenant (`acme`) and prices for the models. */
    guard?: boolean;
    /** Audit receipts (gateway.yaml `audit.enabled`). @default true */
    audit?: boolean;
    heartbeatMs?: number;
    gateway?: object;
  },
): Promise<ConfigDir> {
  const target = (model: string) =>
    options.builtin === true
      ? { name: 'mock', provider: 'mock', model: builtinModel(model) }
      : {
          name: 'mock',
          provider: 'openai-compatible',
          model,
          baseURL: `${mock}/v1`,
          credentials: { secretKeyRef: { name: 'bench', key: 'api-key' } },
        };
  const config = await makeConfigDir({
    gateway: {
      auth: { issuer: 'https://issuer.test', audience: 'inference-service' },
      defaultModel: ALIAS.json,
      streams: { heartbeatMs: options.heartbeatMs ?? 15_000 },
      ...(options.full ? {} : { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } }),
      ...(options.audit === false ? { audit: { enabled: false } } : {}),
      ...options.gateway,
    },
    routes: {
      routes: [
        { alias: ALIAS.json, targets: [target(JSON_MODEL)] },
        { alias: ALIAS.stream, targets: [target(STREAM_MODEL)] },
      ],
    },
  });
  await config.write('credentials/bench__api-key', 'sk-bench');
  if (options.guard === true) {
    const prices = [JSON_MODEL, STREAM_MODEL].map((model) => ({
      ...target(model),
      effectiveFrom: '2026-01-01T00:00:00Z',
      input: '0.15',
      output: '0.60',
    }));
    const priceList = prices.map(({ provider, model, effectiveFrom, input, output }) => ({
      provider,
      model,
      effectiveFrom,
      input,
      output,
    }));
    await config.write('pricing.yaml', { checksum: pricingChecksum(priceList), prices: priceList });
    // Limits no load here reaches: every request is reserved and settled, none refused.
    await config.write('budgets.yaml', {
      budgets: [
        {
          tenant: 'acme',
          limits: { costUSD: '1000000', tokens: 1_000_000_000_000, requestsPerMinute: 100_000_000 },
        },
      ],
    });
  }
  return config;
}

/** The in-process mock provider's model for one of the mock upstream's (same chunks and gap). */
function builtinModel(model: string): string {
  const query = new URLSearchParams(model.split('?', 2)[1] ?? '');
  query.set('text', 'Claro, aquí tienes un resumen rápido del informe 日本 ✅');
  return `fixed?${query.toString()}`;
}
