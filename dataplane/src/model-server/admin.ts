/**
 * The model server's admin endpoints, off unless MODEL_ADMIN_TOKEN is set and then only with
 * it as a bearer token: `GET /admin/memory` (what mem_guard reads, and with `?modelBytes=N`
 * whether a dual-load of that size would fit now: the question the operator asks before an
 * in-pod swap).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors/api-error.ts';
import type { MemGuard } from './mem-guard.ts';

export interface AdminOptions {
  token: string;
  guard: MemGuard;
}

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
};
