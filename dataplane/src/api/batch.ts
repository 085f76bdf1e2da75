import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BatchService } from '../engine/batch/service.ts';
import {
  batchView,
  deadLetterView,
  isFinished,
  openAIOutputLine,
  resultView,
} from '../engine/batch/output.ts';
import { parseRef } from '../engine/batch/types.ts';
import { ApiError, isApiError } from '../errors/api-error.ts';
import { toApiError } from '../errors/to-api-error.ts';
import type { Services } from '../engine/services.ts';
import { agentOf, identityOf } from '../integrations/nops/agent-type.ts';
import { principalOf } from './auth.ts';
import {
  Batch,
  BatchEventStream,
  BatchIdParams,
  BatchSubmit,
  DeadLetterOutcomes,
  DeadLetterSelection,
  DeadLettersPage,
  DeadLettersQuery,
  ResultsPage,
  ResultsQuery,
} from './batch-schemas.ts';
import { ErrorResponse, errorResponses, RequestIdHeader } from './schemas.ts';
import { SseStream } from './sse.ts';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/**
 * The batch API (docs/batch.md): submit, status, results, cancel and progress events for a
 * tenant (`batch:submit`), and the dead-letter queue for operators (`batch:admin`). Without
 * Redis every route answers 503 BATCH_UNAVAILABLE.
 */
export const batchPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  services.batch?.useLogger(app.log);
  const batch = (): BatchService => {
    if (services.batch === undefined) {
      throw new ApiError(
        'BATCH_UNAVAILABLE',
        'Batch endpoints need Redis and this gateway has none: set REDIS_URL.',
        { details: { missing: 'REDIS_URL' } },
      );
    }
    return services.batch;
  };
  const bodyLimit = services.config.current?.gateway.batch.maxBodyBytes ?? 32 * 1024 * 1024;
  const errors = { ...errorResponses, 409: ErrorResponse };

  app.post(
    '/api/v1/batches',
    {
      bodyLimit,
      config: { scope: 'batch:submit' },
      schema: {
        summary: 'Submit a batch of inference requests (idempotent per task_id).',
        description:
          '202 with a new batch, 200 with the batch this task_id already names (same payload). A task_id reused with another payload is a 409; a tenant over its queue limit gets a 429 with Retry-After.',
        tags: ['batch'],
        headers: RequestIdHeader,
        body: BatchSubmit,
        response: { 200: Batch, 202: Batch, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const principal = principalOf(request);
      // An unknown agent type or a claim the certificate contradicts is refused here, at once.
      const agent = agentOf(services.snapshot().gateway.agents, identityOf(principal));
      const { tenant } = principal;
      const submitted = await redisCall(() =>
        batch().submit(
          tenant,
          body.task_id,
          { model: body.model, items: body.items, jsonl: body.jsonl },
          agent?.type,
        ),
      );
      return reply.code(submitted.created ? 202 : 200).send(batchView(submitted.batch));
    },
  );

  app.get(
    '/api/v1/batches/:batch_id',
    {
      config: { scope: 'batch:submit' },
      schema: {
        summary: 'Read a batch: status and progress.',
        tags: ['batch'],
        headers: RequestIdHeader,
        params: BatchIdParams,
        response: { 200: Batch, ...errorResponses },
      },
    },
    async (request) => {
      const { batch_id: batchId } = request.params;
      const record = await redisCall(() => batch().get(principalOf(request).tenant, batchId));
      return batchView(record);
    },
  );

  app.get(
    '/api/v1/batches/:batch_id/results',
    {
      config: { scope: 'batch:submit' },
      schema: {
        summary: 'Read the results of a batch, a page at a time, in item order.',
        description:
          'Items without a result yet are left out of a page; once the batch is finished every item has one. `format=openai` answers OpenAI Batch output lines (application/x-ndjson) with the next cursor in `x-next-cursor`.',
        tags: ['batch'],
        headers: RequestIdHeader,
        params: BatchIdParams,
        querystring: ResultsQuery,
        response: {
          200: {
            description: 'A page of results.',
            content: {
              'application/json': { schema: ResultsPage },
              'application/x-ndjson': { schema: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { batch_id: batchId } = request.params;
      const query = request.query;
      const from = Number(query.cursor ?? 0);
      const limit = pageSize(query.limit);
      const page = await redisCall(async () => {
        const record = await batch().get(principalOf(request).tenant, batchId);
        const results = await batch().store.results(record, from, limit);
        const end = Math.min(record.total, from + limit);
        return { results, next: end < record.total ? String(end) : null };
      });
      if (query.format === 'openai') {
        const lines = page.results.map(({ index, result }) =>
          openAIOutputLine(batchId, index, result),
        );
        if (page.next !== null) reply.header('x-next-cursor', page.next);
        return reply
          .type('application/x-ndjson')
          .send(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
      }
      return {
        object: 'list' as const,
        data: page.results.map(({ index, result }) => resultView(index, result)),
        next_cursor: page.next,
      };
    },
  );

  app.post(
    '/api/v1/batches/:batch_id/cancel',
    {
      config: { scope: 'batch:submit' },
      schema: {
        summary: 'Cancel a batch: items not yet running are cancelled, running ones finish.',
        tags: ['batch'],
        headers: RequestIdHeader,
        params: BatchIdParams,
        response: { 200: Batch, ...errorResponses },
      },
    },
    async (request) => {
      const { batch_id: batchId } = request.params;
      const principal = principalOf(request);
      const record = await redisCall(() => batch().cancel(principal.tenant, batchId));
      await services.audit.admin({
        tenant: principal.tenant,
        principal: principal.subject,
        requestId: request.id,
        action: 'batch.cancel',
        target: batchId,
      });
      return batchView(record);
    },
  );

  app.get(
    '/api/v1/batches/:batch_id/events',
    {
      config: { scope: 'batch:submit' },
      schema: {
        summary: 'Stream the progress of a batch as Server-Sent Events until it finishes.',
        tags: ['batch'],
        headers: RequestIdHeader,
        params: BatchIdParams,
        response: { 200: BatchEventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { batch_id: batchId } = request.params;
      const tenant = principalOf(request).tenant;
      const service = batch();
      // An unknown batch is a plain 404, before the stream starts.
      await redisCall(() => service.get(tenant, batchId));
      const sse = new SseStream(reply, services.draining);
      sse.open({ 'x-request-id': request.id });
      const id = request.id;
      sse.heartbeat(services.snapshot().gateway.streams.heartbeatMs, () => {
        void sse.event('heartbeat', { request_id: id });
      });
      try {
        for await (const record of service.watch(tenant, batchId, sse.closed)) {
          const name = isFinished(record) ? 'done' : 'progress';
          await sse.event(name, { ...batchView(record), request_id: id });
        }
        if (services.draining.aborted) {
          const error = new ApiError('SHUTTING_DOWN', 'This replica is draining; reconnect.');
          await sse.event('error', error.toBody(id));
        }
      } catch (error) {
        await sse.event('error', toApiError(unavailable(error)).toBody(id));
      } finally {
        sse.end();
      }
      return reply;
    },
  );

  app.get(
    '/api/v1/batches/dead-letters',
    {
      config: { scope: 'batch:admin' },
      schema: {
        summary: 'List the dead-letter queue (operators): failed items with their last error.',
        tags: ['batch'],
        headers: RequestIdHeader,
        querystring: DeadLettersQuery,
        response: { 200: DeadLettersPage, ...errorResponses },
      },
    },
    async (request) => {
      const query = request.query;
      const from = Number(query.cursor ?? 0);
      const limit = pageSize(query.limit);
      const { entries, total } = await redisCall(() =>
        batch().store.deadLetters(from, limit, query.tenant),
      );
      return {
        object: 'list' as const,
        data: entries.map(deadLetterView),
        total,
        next_cursor: from + limit < total ? String(from + limit) : null,
      };
    },
  );

  for (const action of ['redrive', 'discard'] as const) {
    app.post(
      `/api/v1/batches/dead-letters/${action}`,
      {
        config: { scope: 'batch:admin' },
        schema: {
          summary:
            action === 'redrive'
              ? 'Re-drive dead letters (operators): they run again with fresh attempts.'
              : 'Discard dead letters (operators): they stay failed and leave the queue.',
          description: 'Select items by `items` (batch_id and index) and/or a whole `batch_id`.',
          tags: ['batch'],
          headers: RequestIdHeader,
          body: DeadLetterSelection,
          response: { 200: DeadLetterOutcomes, ...errorResponses },
        },
      },
      async (request) => {
        const body = request.body;
        if (body.items === undefined && body.batch_id === undefined) {
          throw new ApiError('BAD_REQUEST', 'body must name items or a batch_id', {
            details: { path: 'body.items' },
          });
        }
        const outcomes = await redisCall(() =>
          batch().settleDeadLetters(action, {
            ...(body.items === undefined
              ? {}
              : {
                  refs: body.items.map((item) => ({ batchId: item.batch_id, index: item.index })),
                }),
            ...(body.batch_id === undefined ? {} : { batchId: body.batch_id }),
          }),
        );
        const principal = principalOf(request);
        await services.audit.admin({
          tenant: principal.tenant,
          principal: principal.subject,
          requestId: request.id,
          action: `dead-letters.${action}`,
          target: outcomes.map(({ ref, outcome }) => `${ref}:${outcome}`).join(','),
        });
        return {
          data: outcomes.map(({ ref, outcome }) => {
            const { batchId, index } = parseRef(ref);
            return { batch_id: batchId, index, outcome };
          }),
        };
      },
    );
  }
};

function pageSize(limit: string | undefined): number {
  const size = limit === undefined ? DEFAULT_PAGE : Number(limit);
  if (size < 1 || size > MAX_PAGE) {
    throw new ApiError('BAD_REQUEST', `querystring.limit must be 1 to ${MAX_PAGE}`, {
      details: { path: 'querystring.limit' },
    });
  }
  return size;
}

/** Runs a call on Redis state; a Redis that does not answer is BATCH_UNAVAILABLE (retryable). */
async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable(error);
  }
}

function unavailable(error: unknown): unknown {
  if (isApiError(error) || !(error instanceof Error)) return error;
  const connection =
    error.name === 'MaxRetriesPerRequestError' ||
    error.message.includes('Connection is closed') ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|LOADING|READONLY/.test(error.message);
  if (!connection) return error;
  return new ApiError('BATCH_UNAVAILABLE', 'Redis did not answer; batch state is unavailable.', {
    retryAfterS: 1,
    cause: error,
  });
}
