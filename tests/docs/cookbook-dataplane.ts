/**
 * The dataplanes the cookbook's recipes run against: `make run`'s (the embedded defaults in a
 * process of their own, as sdk/quickstart/quickstart.test.ts starts it), or a gateway on a
 * contract directory that holds a page's files (buildApp, listening on a free port).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { buildApp } from '../../dataplane/src/app.ts';
import { waitFor } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const root = join(import.meta.dirname, '../..');

export interface RunningDataplane {
  url: string;
  /** make run's development token, or a token of the contract's signing key. */
  token: string;
  stop(): Promise<void>;
}

/**
 * `make run`'s dataplane: `node dataplane/src/main.ts` on the embedded defaults with a
 * development overlay of its own, until it prints its address and token.
 * `INFERENCE_DEV_MODELS=tiny` skips fetching SmolLM2: the recipes use the `echo` and
 * `chat-with-fallback` routes, which it does not serve.
 */
export async function startMakeRun(): Promise<RunningDataplane> {
  const devDir = await mkdtemp(join(tmpdir(), 'cookbook-dev-'));
  const child = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DEV_DIR: devDir,
      INFERENCE_DEV_MODELS: 'tiny',
      CONFIG_DIR: undefined,
      REDIS_URL: undefined,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(devDir, { recursive: true, force: true });
  };
  try {
    const [url, token] = await waitFor(
      'make run to print its address and token',
      () => {
        if (child.exitCode !== null) throw new Error(`The dataplane exited:\n${output}`);
        const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        const printed = /export TOKEN=(\S+)/.exec(output)?.[1];
        return listening && printed ? ([listening, printed] as const) : undefined;
      },
      60_000,
    );
    return { url, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface Gateway extends RunningDataplane {
  config: ConfigDir;
}

/**
 * A gateway on a fresh contract directory (tests/support/config-dir.ts: its own signing key,
 * routes chat → mock echo unless `routes`) holding `files`, on `redisUrl` when given; `token`
 * is one of tenant `tenant` with `scopes`.
 */
export async function startGateway(options: {
  files: ReadonlyMap<string, string>;
  tenant: string;
  /** Scopes of `token`; default every scope of tests/support/config-dir.ts. */
  scopes?: string[];
  redisUrl?: string;
  gateway?: object;
  routes?: object;
  batchWorkers?: number;
  env?: NodeJS.ProcessEnv;
  /** Copy the repository's prompts/ into the contract (the voice prompt). @default false */
  prompts?: boolean;
}): Promise<Gateway> {
  const config = await makeConfigDir({
    prompts: options.prompts ?? false,
    ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
    ...(options.routes === undefined ? {} : { routes: options.routes }),
  });
  for (const [path, text] of options.files) await config.write(path, text);
  const redis = options.redisUrl === undefined ? undefined : new Redis(options.redisUrl);
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    ...(redis === undefined ? {} : { redis }),
    ...(options.batchWorkers === undefined ? {} : { batchWorkers: options.batchWorkers }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  await app.services.batch?.queue.waitUntilReady();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: await config.token({
      tenant: options.tenant,
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    }),
    config,
    stop: async () => {
      await app.close();
      await redis?.quit();
      await config.cleanup();
    },
  };
}
