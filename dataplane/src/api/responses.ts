import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Chunk } from '../core/types.ts';
import type { Services } from '../engine/services.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { toInferenceInput } from '../formats/responses/input.ts';
import { responseObject, ResponseEvents, type ResponseIds } from '../formats/responses/output.ts';
import { ResponseObject, ResponsesRequest } from '../formats/responses/schemas.ts';
import { requestContext } from './request-context.ts';
import { errorResponses } from './schemas.ts';
import { SseStream } from './sse.ts';

/**
 * OpenAI's Responses API over the one pipeline, stateless (docs/api-compat.md): the official
 * `openai` clients' `responses.create` and `responses.stream` work against any route. Streams
 * carry the typed events; like the Chat Completions ones, they are not resumable.
 */
export const responsesPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v1/responses',
    {
      config: { scope: 'inference:invoke', surface: 'responses' },
      schema: {
        summary: 'OpenAI Responses API, stateless (set `stream: true` for its typed events).',
        tags: ['openai'],
        body: ResponsesRequest,
        response: {
          200: {
            description: 'A response, or with `stream: true` its typed event stream.',
            content: {
              'application/json': { schema: ResponseObject },
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
      const ids: ResponseIds = {
        id: `resp_${request.id.replaceAll('-', '')}`,
        model: body.model,
        createdAt: Math.floor(Date.now() / 1000),
        echo: {
          instructions: body.instructions ?? null,
          tools: body.tools ?? [],
          tool_choice: body.tool_choice ?? 'auto',
          parallel_tool_calls: body.parallel_tool_calls ?? true,
          temperature: body.temperature ?? null,
          top_p: body.top_p ?? null,
          max_output_tokens: body.max_output_tokens ?? null,
          text: body.text ?? { format: { type: 'text' } },
          metadata: body.metadata ?? {},
        },
      };
      const context = requestContext(services, request, reply, 'responses');
      if (body.stream !== true) {
        const { text, done } = await services.pipeline.complete(context, input);
        return responseObject(ids, text, done);
      }
      const { chunks } = await services.pipeline.stream(context, input);
      const iterator = chunks[Symbol.asyncIterator]();
      // The first chunk decides: an error before it is a plain HTTP error with its status.
      const first = await iterator.next();
      const sse = new SseStream(reply, services.draining);
      sse.open({ 'x-request-id': request.id });
      const events = new ResponseEvents(ids);
      try {
        for (const event of events.start()) await sse.event(event.type, event);
        for (
          let next: IteratorResult<Chunk> = first;
          next.done !== true;
          next = await iterator.next()
        ) {
          for (const event of events.next(next.value)) await sse.event(event.type, event);
        }
      } catch (error) {
        const { code, message, param } = toApiError(error).toBody(request.id).error;
        const event = events.error({ code, message, param });
        await sse.event(event.type, event);
      } finally {
        sse.end();
      }
      return reply;
    },
  );
};
