/**
 * The `worker` mode of the dataplane image: it executes batch items from Redis and serves no
 * public API, only `/healthz`, `/readyz` and `/metrics`. Run any number of them beside the
 * gateways (docs/batch.md):
 *
 *   REDIS_URL=redis://… CONFIG_DIR=/etc/inference node dataplane/src/worker.ts
 *
 * Environment: REDIS_URL (required), CONFIG_DIR (as the gateway; without it the embedded config
 * and the development overlay, as `make run`), PORT (@default 8080), HOST (@default 127.0.0.1),
 * BATCH_CONCURRENCY (@default gateway.yaml `batch.workers.concurrency`), LOG_LEVEL.
 * SIGTERM or SIGINT: running items get `batch.workers.shutdownGraceMs` to finish, then go back
 * to the queue for another worker; the process exits 0.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { healthPlugin } from './api/health.ts';
import { readiness } from './api/readiness.ts';
import { prepareDevOverlay } from './dev.ts';
import { startEgressGuard } from './net/install.ts';
import { createServices, type Services } from './engine/services.ts';

export interface WorkerOptions {
  configDirs: readonly string[];
  redis: Redis;
  env?: NodeJS.ProcessEnv;
  /** Items executed at once. @default gateway.yaml `batch.workers.concurrency` */
  concurrency?: number | undefined;
  /** Port of the health and metrics server; 0 picks a free one. @default 8080 */
  port?: number;
  host?: string;
  logger?: FastifyServerOptions['logger'];
  watch?: boolean;
  defaultMetrics?: boolean;
}

export interface RunningWorker {
  /** The health and metrics server. */
  app: FastifyInstance;
  url: string;
  services: Services;
  concurrency: number;
  /** Graceful stop: the health server, then the worker (its grace period), then the rest. */
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const services = await createServices({
    configDirs: options.configDirs,
    redis: options.redis,
    batchWorkers: 0,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    ...(options.defaultMetrics === undefined ? {} : { defaultMetrics: options.defaultMetrics }),
  });
  const batch = services.batch;
  if (batch === undefined) throw new Error('The batch service needs Redis.');
  const app = Fastify({ logger: options.logger ?? false });
  batch.useLogger(app.log);
  const concurrency = options.concurrency ?? batch.settings().workers.concurrency;
  const worker = batch.startWorker(concurrency);
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
    services.drain();
  });
  app.addHook('onClose', () => services.close());
  await app.register(healthPlugin, {
    readiness: async () => {
      const report = await readiness(services);
      return {
        ready: report.ready && !stopping,
        details: { ...report.details, mode: 'worker', batch_concurrency: concurrency },
      };
    },
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type(services.metrics.registry.contentType)
      .send(await services.metrics.registry.metrics()),
  );
  await worker.ready();
  const url = await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
  app.log.info({ url, concurrency }, 'Started batch worker');
  return {
    app,
    url,
    services,
    concurrency,
    close: () => app.close(),
  };
}

/**
 * The worker process's configuration from its environment (see the top of this file), then
 * `startWorker`. Rejects with a message for the operator when the environment is wrong.
 */
export async function startWorkerFromEnv(
  env: NodeJS.ProcessEnv,
): Promise<{ running: RunningWorker; redis: Redis }> {
  const redisUrl = env['REDIS_URL'];
  if (redisUrl === undefined || redisUrl === '') {
    throw new Error(
      'The batch worker needs Redis: set REDIS_URL (for example redis://localhost:6379).',
    );
  }
  const concurrency =
    env['BATCH_CONCURRENCY'] === undefined ? undefined : Number(env['BATCH_CONCURRENCY']);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error(
      `BATCH_CONCURRENCY must be a positive integer, not ${env['BATCH_CONCURRENCY']}.`,
    );
  }
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const configDirs =
    env['CONFIG_DIR'] === undefined
      ? [`${repo}config`, (await prepareDevOverlay(`${repo}.dev`)).configDir]
      : env['CONFIG_DIR'].split(':');
  const redis = new Redis(redisUrl);
  let log = (error: Error) => {
    console.error(`Redis connection failed: ${error.message}`);
  };
  // ioredis reconnects by itself; an error event without a listener would only be noise.
  redis.on('error', (error: Error) => {
    log(error);
  });
  const running = await startWorker({
    configDirs,
    redis,
    env,
    concurrency,
    port: Number(env['PORT'] ?? 8080),
    host: env['HOST'] ?? '127.0.0.1',
    logger: { level: env['LOG_LEVEL'] ?? 'info' },
  }).catch(async (error: unknown) => {
    redis.disconnect();
    throw error;
  });
  log = (error) => {
    running.app.log.warn({ err: error }, 'Redis connection failed');
  };
  return { running, redis };
}

if (import.meta.main) {
  // Every outbound connection passes the egress guard, as in the gateway (docs/air-gapped.md).
  const egress = startEgressGuard(process.env);
  const { running, redis } = await startWorkerFromEnv(process.env).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
  egress.attach({
    config: running.services.config,
    registry: running.services.metrics.registry,
    log: running.app.log,
  });
  let closing = false;
  // `on`, not `once`: node-llama-cpp's signal-exit re-sends a signal that has no listener left
  // but its own, which would end the process in the middle of the drain.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      running.app.log.info({ signal }, 'Stopping batch worker');
      void running.close().then(async () => {
        await redis.quit();
        process.exit(0);
      });
    });
  }
}
