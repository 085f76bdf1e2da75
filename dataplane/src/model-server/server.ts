/**
 * The model server's fastify app (DESIGN §2, `model-server.ts`): one InferenceModel served over
 * the OpenAI-compatible API by the local runtimes. `/readyz` is 503 until the first version
 * has loaded and answered its warm-up generation, and again once draining; `/livez` is 200 as
 * long as the process runs; `/metrics` is Prometheus text.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { adminRoutes } from './admin.ts';
import { healthPlugin } from '../api/health.ts';
import { installErrorHandling } from '../api/error-handler.ts';
import { Semaphore } from '../engine/routing/semaphore.ts';
import type { CgroupMemory } from './cgroup-memory.ts';
import { MemGuard } from './mem-guard.ts';
import {
  createModelServerMetrics,
  type MemoryReading,
  type ModelServerMetrics,
} from './metrics.ts';
import { ModelSlot } from './model-slot.ts';
import { modelRoutes } from './routes.ts';
import type { ServedModel } from './served-model.ts';
import { readSpecFile, watchSpecFile, type SpecFileWatch } from './spec-file.ts';
import { modelBytes, Swapper, type SwapEvent } from './swap.ts';
import type { ModelServerSettings } from './settings.ts';
import { installModelServerTls, modelServerHttps, readModelServerTls } from './tls.ts';

export interface ModelServerOptions {
  settings: ModelServerSettings;
  logger?: FastifyServerOptions['logger'];
  /** Reads the container's memory cgroup (mem_guard); injectable for tests. */
  readCgroup?: () => Promise<CgroupMemory | undefined>;
  /** @default true */
  defaultMetrics?: boolean;
}

export interface ModelServer {
  app: FastifyInstance;
  slot: ModelSlot;
  metrics: ModelServerMetrics;
  guard: MemGuard;
  swapper: Swapper;
  /** Loads and warms up the configured version, then reports ready. */
  start(): Promise<ServedModel>;
  /** Not ready from now on: the load balancer stops sending; in-flight answers go on. */
  drain(): void;
  /** Stops taking connections, waits for every answer, then unloads every version. */
  close(): Promise<void>;
}

export async function buildModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const { settings } = options;
  const slot = new ModelSlot();
  const semaphore = new Semaphore({
    limit: settings.maxConcurrency,
    maxQueue: settings.maxQueue,
    queueTimeoutMs: settings.queueTimeoutMs,
  });
  let draining = false;
  let loadError: string | undefined;
  // Read before the listener exists (its protocol is fixed); bad material fails the start.
  const tls = settings.tls === undefined ? undefined : await readModelServerTls(settings.tls);
  const app = Fastify({
    ...(tls === undefined ? {} : { https: modelServerHttps(tls) }),
    logger: options.logger ?? false,
    bodyLimit: 8 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;
  const guard = new MemGuard({
    headroomFactor: settings.headroomFactor,
    activeBytes: () => (slot.active === undefined ? undefined : modelBytes(slot.active)),
    ...(options.readCgroup === undefined ? {} : { read: options.readCgroup }),
    onHeadroomLow: (low, reading) => {
      const fields = { headroomRatio: reading.headroomRatio, headroomBytes: reading.headroomBytes };
      if (low) app.log.warn(fields, 'Raised memory_headroom_low');
      else app.log.info(fields, 'Cleared memory_headroom_low');
    },
  });
  // The latest reading (every 10 s, and on each scrape), for /readyz: the operator reads it for
  // MemoryHeadroomOK.
  let memory: MemoryReading | undefined;
  const readMemory = async () => (memory = await guard.reading());
  const metrics = createModelServerMetrics({
    defaultMetrics: options.defaultMetrics ?? true,
    queueDepth: () => semaphore.queued,
    inFlight: () => semaphore.active,
    memory: readMemory,
  });
  // memory_headroom_low is raised and cleared between scrapes too.
  const watchHeadroom = setInterval(() => void readMemory(), 10_000).unref();
  app.addHook('onClose', () => {
    clearInterval(watchHeadroom);
  });
  app.removeContentTypeParser(['text/plain']);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  if (settings.tls !== undefined && tls !== undefined)
    installModelServerTls(app, settings.tls, tls);
  await app.register(healthPlugin, {
    readiness: () => {
      const active = slot.active;
      return {
        ready: active !== undefined && !draining,
        details: {
          model: settings.modelName,
          ...(active === undefined
            ? {}
            : {
                version: active.version,
                runtime: active.resolved.runtime,
                task: active.resolved.task,
              }),
          ...(draining ? { draining: true } : {}),
          ...(loadError === undefined ? {} : { error: loadError }),
          // The swap that did not take, so the operator can fall back or say why.
          ...problemOf(swapper.problem),
          ...(memory?.headroomRatio === undefined
            ? {}
            : {
                memory: {
                  headroomRatio: memory.headroomRatio,
                  headroomLow: memory.headroomLow === true,
                },
              }),
        },
      };
    },
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  const swapper = new Swapper({
    slot,
    guard,
    metrics,
    rollbackErrorRate: settings.rollbackErrorRate,
    rollbackMinRequests: settings.rollbackMinRequests,
    rollbackWindowMs: settings.rollbackWindowS * 1000,
    onActive: (model) => {
      observeServed(metrics, settings.modelName, model);
    },
    onEvent: (event) => {
      const level = event.result === 'switched' || event.result === 'completed' ? 'info' : 'warn';
      app.log[level]({ ...event }, `Swap ${event.result}`);
    },
  });
  if (settings.adminToken !== undefined)
    await app.register(adminRoutes, { token: settings.adminToken, guard, swapper, slot });
  await app.register(modelRoutes, { modelName: settings.modelName, slot, semaphore, metrics });

  let specWatch: SpecFileWatch | undefined;
  return {
    app,
    slot,
    metrics,
    guard,
    swapper,
    async start() {
      try {
        const initial =
          settings.specFile === undefined ? undefined : await readSpecFile(settings.specFile);
        const spec = initial?.spec ?? settings.model;
        if (spec === undefined) {
          throw new Error(
            `${settings.specFile ?? 'MODEL_SPEC_FILE'} does not exist and MODEL_URI is not set.`,
          );
        }
        const model = await swapper.start(spec);
        app.log.info({ version: model.version, ...model.timings }, 'Loaded model');
        if (settings.specFile !== undefined) {
          specWatch = watchSpecFile(settings.specFile, initial?.text, {
            swap: (spec) => swapper.swap(spec),
            log: app.log,
          });
        }
        return model;
      } catch (error) {
        loadError = (error as Error).message;
        throw error;
      }
    },
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      specWatch?.stop();
      await app.close();
      await swapper.close();
    },
  };
}

/** The info and load-time gauges of the version now served. */
export function observeServed(metrics: ModelServerMetrics, name: string, model: ServedModel): void {
  metrics.info.reset();
  metrics.info.set(
    {
      model: name,
      version: model.version,
      runtime: model.resolved.runtime,
      task: model.resolved.task,
    },
    1,
  );
  metrics.loadSeconds.set({ phase: 'verify' }, model.timings.verifyMs / 1000);
  metrics.loadSeconds.set({ phase: 'load' }, model.timings.loadMs / 1000);
  metrics.loadSeconds.set({ phase: 'warm_up' }, model.timings.warmUpMs / 1000);
}

function problemOf(event: SwapEvent | undefined): { swap?: Partial<SwapEvent> } {
  if (event === undefined) return {};
  const { at, result, reason, message, to } = event;
  return { swap: { at, result, reason, message, ...(to === undefined ? {} : { to }) } };
}
