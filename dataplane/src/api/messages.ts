import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Chunk } from '../core/types.ts';
import type { Services } from '../engine/services.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { toInferenceInput } from '../formats/anthropic/input.ts';
import { message, MessageEvents } from '../formats/anthropic/output.ts';
import { MessageResponse, MessagesRequest } from '../formats/anthropic/schemas.ts';
import { requestContext } from './request-context.ts';
import { errorResponses } from './schemas.ts';
import { SseStream } from './sse.ts';

/**
 * Anthropic's Messages API over the one pipeline, so `@anthropic-ai/sdk` and the `anthropic`
 * Python client work against any route, Anthropic or not (docs/api-compat.md). The key goes in
 * `x-api-key` (a gateway token, as with `Authorization: Bearer`). Streams follow the Messages
 * event sequence; like the OpenAI surface's, they are not resumable.
 */
export const messagesPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v1/messages',
    {
      config: { scope: 'inference:invoke', surface: 'messages' },
      schema: {
        summary: 'Anthropic-compatible Messages API (set `stream: true` for its event stream).',
        tags: ['anthropic'],
        headers: Type.Object({
          'anthropic-version': Type.Optional(
            Type.String({
              pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
              description:
                'The Messages API version the client speaks (a date); the fields this surface takes are those of 2023-06-01, which later versions keep.',
            }),
          ),
        }),
        body: MessagesRequest,
        response: {
          200: {
            description: 'A message, or with `stream: true` the Messages API event stream.',
            content: {
              'application/json': { schema: MessageResponse },
              'text/event-stream': { schema: Type.Object({ data: Type.String() }) },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const input = toInferenceInput(body);
      const id = `msg_${request.id}`;
      const context = requestContext(services, request, reply, 'messages');
      if (body.stream !== true) {
        const { text, done } = await services.pipeline.complete(context, input);
        return message(id, body.model, text, done);
      }
      const { chunks } = await services.pipeline.stream(context, input);
      const iterator = chunks[Symbol.asyncIterator]();
      // The first chunk decides: an error before it is a plain HTTP error with its status.
      const first = await iterator.next();
      const sse = new SseStream(reply, services.draining);
      sse.open({ 'x-request-id': request.id });
      const events = new MessageEvents(id, body.model);
      try {
        for (const { event, data } of events.start()) await sse.event(event, data);
        for (
          let next: IteratorResult<Chunk> = first;
          next.done !== true;
          next = await iterator.next()
        ) {
          for (const { event, data } of events.next(next.value)) await sse.event(event, data);
        }
      } catch (error) {
        const failure = toApiError(error);
        await sse.event('error', { type: 'error', ...failure.toBody(request.id) });
      } finally {
        sse.end();
      }
      return reply;
    },
  );
};
