/**
 * The model server's admin endpoints, off unless MODEL_ADMIN_TOKEN is set and then only with
 * it as a bearer token: `GET /admin/memory` (what mem_guard reads, and with `?modelBytes=N`
 * whether a dual-load of that size would fit now: the question the operator asks before an
 * in-pod swap), `POST /admin/swap` (swap to a version; answers at the switch) and
 * `GET /admin/model` (what is loaded, the swap state and its latest events).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors/api-error.ts';
import type { MemGuard } from './mem-guard.ts';
import type { ModelSlot } from './model-slot.ts';
import type { ServedModel } from './served-model.ts';
import type { Swapper } from './swap.ts';

export interface AdminOptions {
  token: string;
  guard: MemGuard;
  swapper: Swapper;
  slot: ModelSlot;
}

const SwapRequest = Type.Object(
  {
    uri: Type.String({ minLength: 1, maxLength: 2048 }),
    version: Type.String({ minLength: 1, maxLength: 63 }),
    checksum: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
    quantization: Type.Optional(
      Type.Union(['fp32', 'fp16', 'int8', 'int4'].map((q) => Type.Literal(q))),
    ),
    modelBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    task: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('embeddings')])),
  },
  { additionalProperties: false },
);

export const adminRoutes: FastifyPluginAsyncTypebox<AdminOptions> = async (app, options) => {
  const expected = Buffer.from(`Bearer ${options.token}`);
  app.addHook('onRequest', async (request) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError('UNAUTHENTICATED', 'The admin endpoints need the admin bearer token.');
    }
  });

  app.get(
    '/admin/memory',
    {
      schema: {
        querystring: Type.Object(
          { modelBytes: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const state = await options.guard.state();
      const bytes = request.query.modelBytes;
      if (bytes === undefined) return { headroomFactor: options.guard.headroomFactor, ...state };
      const verdict = await options.guard.check(Number(bytes));
      return { headroomFactor: options.guard.headroomFactor, ...verdict };
    },
  );

  app.post('/admin/swap', { schema: { body: SwapRequest } }, async (request) => {
    const event = await options.swapper.swap(request.body);
    return { event };
  });

  app.get('/admin/model', () => {
    const describe = (model: ServedModel | undefined) =>
      model === undefined
        ? undefined
        : {
            version: model.version,
            uri: model.spec.uri,
            runtime: model.resolved.runtime,
            task: model.resolved.task,
            bytes: model.spec.modelBytes ?? model.resolved.weightsBytes,
            leases: model.leases,
            timings: model.timings,
          };
    return {
      state: options.swapper.state,
      active: describe(options.slot.active),
      standby: describe(options.swapper.standby),
      rssBytes: process.memoryUsage().rss,
      events: options.swapper.events,
    };
  });
};
