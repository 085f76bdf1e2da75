import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { DevModels } from './dev-models.ts';
import { ensureDevKeys } from './security/dev-keys.ts';

/** The Secret (in the contract's flat layout) that holds the development provider keys. */
const DEV_SECRET = 'dev-providers';

/**
 * Provider routes `make run` adds when their key is in the environment. Model ids come from
 * the environment too: OpenAI's and Anthropic's have a default (overridable), Groq's never do
 * (its catalogue changes; `GROQ_MODEL_SMALL`, `GROQ_MODEL_MEDIUM`, `GROQ_MODEL_LARGE` name
 * them, through `modelFrom.env` as Helm values would). The SDKs' own base-URL variables
 * (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `GROQ_BASE_URL`) point a provider's routes at
 * another server, as they point the SDKs.
 */
interface DevProvider {
  provider: 'openai' | 'anthropic' | 'groq';
  keyVar: string;
  baseVar: string;
  /** alias → model env var and its default (undefined: the var must be set). */
  routes: { alias: string; modelVar: string; fallback?: string }[];
}

const DEV_PROVIDERS: readonly DevProvider[] = [
  {
    provider: 'openai',
    keyVar: 'OPENAI_API_KEY',
    baseVar: 'OPENAI_BASE_URL',
    routes: [{ alias: 'openai', modelVar: 'OPENAI_MODEL', fallback: 'gpt-5-mini' }],
  },
  {
    provider: 'anthropic',
    keyVar: 'ANTHROPIC_API_KEY',
    baseVar: 'ANTHROPIC_BASE_URL',
    routes: [{ alias: 'anthropic', modelVar: 'ANTHROPIC_MODEL', fallback: 'claude-haiku-4-5' }],
  },
  {
    provider: 'groq',
    keyVar: 'GROQ_API_KEY',
    baseVar: 'GROQ_BASE_URL',
    routes: [
      { alias: 'groq-small', modelVar: 'GROQ_MODEL_SMALL' },
      { alias: 'groq-medium', modelVar: 'GROQ_MODEL_MEDIUM' },
      { alias: 'groq-large', modelVar: 'GROQ_MODEL_LARGE' },
    ],
  },
];

export interface DevOverlayOptions {
  /** The embedded config directory whose routes.yaml the overlay extends. */
  embeddedDir?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The real local models (dev-models.ts): `chat` becomes SmolLM2 on llama.cpp with the tiny
   * model as its fallback target, `embed` all-MiniLM-L6-v2, and `chat-onnx` SmolLM2's ONNX
   * export when it has been built. Without them the embedded fixtures serve.
   */
  models?: DevModels;
}

/** The tenant config/gateway.yaml names under `sandbox.tenants` (docs/sandbox.md). */
export const DEV_SANDBOX_TENANT = 'dev-sandbox';

export interface DevOverlay {
  configDir: string;
  token: string;
  /** The same scopes for tenant `dev-sandbox`, which the embedded gateway.yaml sandboxes. */
  sandboxToken: string;
  /** Aliases the overlay added, and notes on providers it could not add. */
  added: string[];
  notes: string[];
}

/**
 * The development overlay for `make run`: a config directory layered over the embedded config,
 * holding `keys/` (the JWKS of a local signing key and a resume-token keyring) and, when
 * provider keys are in the environment, `routes.yaml` (the embedded routes plus one route per
 * provider) and those keys under `credentials/`. Returns a ready token, so that authentication
 * stays on in development.
 */
export async function prepareDevOverlay(
  dir: string,
  options: DevOverlayOptions = {},
): Promise<DevOverlay> {
  const keys = await ensureDevKeys(join(dir, 'signing'));
  const configDir = join(dir, 'config');
  await mkdir(join(configDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(configDir, 'keys', 'jwks.json'), `${JSON.stringify(keys.jwks, null, 2)}\n`);
  const resumePath = join(configDir, 'keys', 'resume.json');
  const existing = await readFile(resumePath, 'utf8').catch(() => undefined);
  if (existing === undefined) {
    const keyring = {
      active: 'dev-1',
      keys: [{ kid: 'dev-1', secret: randomBytes(32).toString('base64url') }],
    };
    await writeFile(resumePath, `${JSON.stringify(keyring, null, 2)}\n`, { mode: 0o600 });
  }
  await ensureAuditKeys(join(configDir, 'keys', 'audit.json'));
  const { added, notes } =
    options.embeddedDir === undefined
      ? { added: [], notes: [] }
      : await writeRoutes(
          configDir,
          options.embeddedDir,
          options.env ?? process.env,
          options.models,
        );
  const scopes = [
    'inference:invoke',
    'inference:stream',
    'batch:submit',
    'usage:read',
    'audit:read',
  ];
  const ttlS = 7 * 24 * 3600;
  const token = await keys.mintToken({ tenant: 'dev', scopes, ttlS });
  const sandboxToken = await keys.mintToken({ tenant: DEV_SANDBOX_TENANT, scopes, ttlS });
  return { configDir, token, sandboxToken, added, notes };
}

/** A development audit keyring (config/contract.ts AuditKeysFile), made once and kept. */
async function ensureAuditKeys(path: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) !== undefined) return;
  const { privateKey } = generateKeyPairSync('ed25519');
  const ring = {
    active: 'dev-audit-1',
    keys: [
      {
        kid: 'dev-audit-1',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
      },
    ],
    contentKey: randomBytes(32).toString('base64url'),
  };
  await writeFile(path, `${JSON.stringify(ring, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Writes the overlay's routes.yaml (embedded routes, the real local models in place of the
 * fixtures, provider routes) and credentials, or removes them when there is nothing to add,
 * so a key taken away takes its route with it.
 */
async function writeRoutes(
  configDir: string,
  embeddedDir: string,
  env: NodeJS.ProcessEnv,
  models: DevModels | undefined,
): Promise<{ added: string[]; notes: string[] }> {
  const routesPath = join(configDir, 'routes.yaml');
  const credentialsDir = join(configDir, 'credentials');
  await rm(credentialsDir, { recursive: true, force: true });
  const extra: object[] = [];
  const notes: string[] = [];
  for (const spec of DEV_PROVIDERS) {
    const key = env[spec.keyVar];
    if (key === undefined || key === '') continue;
    const baseURL = env[spec.baseVar];
    if (baseURL !== undefined && baseURL !== '' && !/^https?:\/\/[^\s]+$/.test(baseURL)) {
      notes.push(
        `${spec.provider}: ${spec.baseVar} is not an http(s) URL; its routes are left out`,
      );
      continue;
    }
    await mkdir(credentialsDir, { recursive: true, mode: 0o700 });
    await writeFile(join(credentialsDir, `${DEV_SECRET}__${spec.provider}`), key, { mode: 0o600 });
    for (const route of spec.routes) {
      const configured = env[route.modelVar];
      if ((configured === undefined || configured === '') && route.fallback === undefined) {
        notes.push(
          `${route.alias}: set ${route.modelVar} to a ${spec.provider} model id to add this route`,
        );
        continue;
      }
      extra.push({
        alias: route.alias,
        targets: [
          {
            name: spec.provider,
            provider: spec.provider,
            ...(configured === undefined || configured === ''
              ? { model: route.fallback }
              : { modelFrom: { env: route.modelVar } }),
            ...(baseURL === undefined || baseURL === '' ? {} : { baseURL }),
            credentials: { secretKeyRef: { name: DEV_SECRET, key: spec.provider } },
          },
        ],
      });
    }
  }
  const local = localRoutes(models);
  if (extra.length === 0 && local.size === 0) {
    await rm(routesPath, { force: true });
    return { added: [], notes };
  }
  const embedded = (parse(await readFile(join(embeddedDir, 'routes.yaml'), 'utf8')) ?? {}) as {
    routes?: { alias: string }[];
  };
  const routes = (embedded.routes ?? []).map((route) => local.get(route.alias) ?? route);
  const known = new Set(routes.map((route) => route.alias));
  const fresh = [...local.values()].filter((route) => !known.has(route.alias));
  const header =
    '# Written by `make run` (dataplane/src/dev.ts): the embedded routes with the real local models, plus the providers whose keys are set.\n';
  await writeFile(routesPath, header + stringify({ routes: [...routes, ...fresh, ...extra] }));
  return { added: extra.map((route) => (route as { alias: string }).alias), notes };
}

/** The routes the real local models replace (`chat`, `embed`) or add (`chat-onnx`). */
function localRoutes(models: DevModels | undefined): Map<string, { alias: string }> {
  const routes = new Map<string, { alias: string; targets: object[] }>();
  if (models === undefined) return routes;
  const tiny = { name: 'tiny', provider: 'local', model: 'tiny' };
  if ('id' in models.chat) {
    routes.set('chat', {
      alias: 'chat',
      targets: [{ name: 'smollm2', provider: 'local', model: models.chat.id }, tiny],
    });
  }
  if ('id' in models.embed) {
    routes.set('embed', {
      alias: 'embed',
      targets: [{ name: 'minilm', provider: 'local', model: `${models.embed.id}?dtype=int8` }],
    });
  }
  if (models.chatOnnx !== undefined) {
    routes.set('chat-onnx', {
      alias: 'chat-onnx',
      targets: [{ name: 'smollm2-onnx', provider: 'local', model: models.chatOnnx }],
    });
  }
  return routes;
}
