import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';
import { requestContext } from './request-context.ts';
import {
  errorResponses,
  EventStream,
  InferenceRequest,
  InferenceResponse,
  RequestIdHeader,
  ResumeRequest,
} from './schemas.ts';
import { replyWithStream } from './stream-reply.ts';

/** The native API: `/api/v1/inference` (sync), `:stream` (resumable SSE) and `:resume`. */
export const inferencePlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/api/v1/inference',
    {
      config: { scope: 'inference:invoke', surface: 'inference' },
      schema: {
        summary: 'Run one inference and answer with the whole output.',
        tags: ['inference'],
        headers: RequestIdHeader,
        body: InferenceRequest,
        response: { 200: InferenceResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const context = requestContext(services, request, reply, 'inference');
      const { prepared, text, done } = await services.pipeline.complete(context, request.body);
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
      config: { scope: 'inference:stream', surface: 'inference-stream' },
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
      // The producer outlives the connection (resumable): the client leaving does not cancel it.
      const cancel = new AbortController();
      const context = requestContext(services, request, reply, 'inference-stream', cancel);
      const { prepared, chunks } = await services.pipeline.stream(context, request.body);
      const meta = { tenant: context.tenant, model: prepared.route.alias };
      const streamId = await services.sessions.start(meta, chunks, cancel);
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
      const resumes = services.metrics.streamResumes;
      let position: ReturnType<typeof services.resumeTokens.verify>;
      try {
        position = services.resumeTokens.verify(request.body.resume_token);
      } catch (error) {
        resumes.inc({ result: 'invalid' });
        throw error;
      }
      const meta = await services.streams.meta(position.streamId);
      if (meta?.tenant !== principalOf(request).tenant) {
        resumes.inc({ result: 'expired' });
        throw new ApiError('INVALID_RESUME_TOKEN', 'Resume token names a stream that has expired.');
      }
      resumes.inc({ result: 'served' });
      const lastEventId = request.headers['last-event-id'];
      const afterOffset = lastEventId === undefined ? position.offset : Number(lastEventId);
      await replyWithStream(services, request, reply, position.streamId, afterOffset, {
        ...(request.body.poll_ms === undefined ? {} : { pollMs: request.body.poll_ms }),
      });
      return reply;
    },
  );
};
