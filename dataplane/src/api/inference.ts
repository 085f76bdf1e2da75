import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Services } from '../engine/services.ts';
import type { Prepared } from '../engine/inference-engine.ts';
import { collect } from '../engine/inference-engine.ts';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';
import {
  errorResponses,
  EventStream,
  InferenceRequest,
  InferenceResponse,
  RequestIdHeader,
  ResumeRequest,
} from './schemas.ts';
import { replyWithStream } from './stream-reply.ts';
import { Type } from '@sinclair/typebox';

/** The native API: `/api/v1/inference` (sync), `:stream` (resumable SSE) and `:resume`. */
export const inferencePlugin: FastifyPluginAsync<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/api/v1/inference',
    {
      config: { scope: 'inference:invoke' },
      schema: {
        summary: 'Run one inference and answer with the whole output.',
        tags: ['inference'],
        headers: RequestIdHeader,
        body: InferenceRequest,
        response: { 200: InferenceResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const prepared = services.engine.prepare(request.body as InferenceRequest);
      const signal = requestSignal(services, reply.raw);
      const { text, done } = await collect(
        await services.engine.open(prepared, signal, routeEvents(services, prepared)),
      );
      return {
        id: request.id,
        model: prepared.route.alias,
        output: { role: 'assistant' as const, content: text },
        finish_reason: done.finishReason,
        usage: {
          input_tokens: done.usage.inputTokens,
          output_tokens: done.usage.outputTokens,
          cached_tokens: done.usage.cachedTokens,
        },
      };
    },
  );

  app.post(
    '/api/v1/inference::stream',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'Run one inference and stream it as resumable Server-Sent Events.',
        description:
          'Events: `data` (id = offset), `resume` (a fresh resume token), `heartbeat`, `done` (finish reason and usage), `error`.',
        tags: ['inference'],
        headers: RequestIdHeader,
        body: InferenceRequest,
        response: { 200: EventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      const prepared = services.engine.prepare(request.body as InferenceRequest);
      const controller = new AbortController();
      const { requestTimeoutMs } = services.snapshot().gateway.limits;
      const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(requestTimeoutMs)]);
      const chunks = await services.engine.open(prepared, signal, routeEvents(services, prepared));
      const meta = { tenant: principalOf(request).tenant, model: prepared.route.alias };
      const streamId = await services.sessions.start(meta, chunks, controller);
      await replyWithStream(services, request, reply, streamId, 0);
      return reply;
    },
  );

  app.post(
    '/api/v1/inference::resume',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'Resume a stream after the offset in the token (or in Last-Event-ID).',
        tags: ['inference'],
        headers: Type.Intersect([
          RequestIdHeader,
          Type.Object({
            'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          }),
        ]),
        body: ResumeRequest,
        response: { 200: EventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { resume_token: token } = request.body as { resume_token: string };
      const position = services.resumeTokens.verify(token);
      const meta = await services.streams.meta(position.streamId);
      if (meta?.tenant !== principalOf(request).tenant) {
        throw new ApiError('INVALID_RESUME_TOKEN', 'Resume token names a stream that has expired.');
      }
      const lastEventId = request.headers['last-event-id'];
      const afterOffset = typeof lastEventId === 'string' ? Number(lastEventId) : position.offset;
      await replyWithStream(services, request, reply, position.streamId, afterOffset);
      return reply;
    },
  );
};

/** Aborted when the client goes away or the request deadline passes. */
export function requestSignal(services: Services, response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableEnded)
      controller.abort(new ApiError('BAD_REQUEST', 'The client went away.'));
  });
  const { requestTimeoutMs } = services.snapshot().gateway.limits;
  return AbortSignal.any([controller.signal, AbortSignal.timeout(requestTimeoutMs)]);
}

/** Counts the request's safety findings, and returns the hooks that time its first chunk. */
export function routeEvents(services: Services, prepared: Prepared) {
  const started = performance.now();
  if (prepared.findings > 0) services.metrics.safetyFindings.inc(prepared.findings);
  return {
    onServed: (target: { provider: string; name: string }) => {
      services.metrics.timeToFirstToken.observe(
        { provider: target.provider, target: `${prepared.route.alias}/${target.name}` },
        (performance.now() - started) / 1000,
      );
    },
  };
}
