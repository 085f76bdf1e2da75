import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import { toInferenceInput } from '../formats/openai/input.ts';
import { chatCompletion, type CompletionIds } from '../formats/openai/output.ts';
import { ChatCompletion, ChatCompletionRequest, ModelList } from '../formats/openai/schemas.ts';
import { writeChatStream } from './chat-stream.ts';
import { embeddingsPlugin } from './embeddings.ts';
import { completeChoices, streamChoices } from './openai-choices.ts';
import { requestContext } from './request-context.ts';
import { errorResponses } from './schemas.ts';
import { SseStream } from './sse.ts';

/**
 * The OpenAI-compatible surface, so the official clients work unchanged. Streams here are not
 * resumable (OpenAI's format has no resume): a client that disconnects cancels the upstream call.
 */
export const openaiPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  await app.register(embeddingsPlugin, { services });

  app.get(
    '/v1/models',
    {
      config: { scope: 'inference:invoke' },
      schema: {
        summary: 'List the model aliases this gateway serves.',
        tags: ['openai'],
        response: { 200: ModelList, ...errorResponses },
      },
    },
    () => ({
      object: 'list' as const,
      data: [...services.snapshot().routes.keys()]
        .sort()
        .map((id) => ({ id, object: 'model' as const, created: 0, owned_by: 'inference-service' })),
    }),
  );

  app.post(
    '/v1/chat/completions',
    {
      config: { scope: 'inference:invoke', surface: 'chat-completions' },
      schema: {
        summary: 'OpenAI-compatible chat completion (set `stream: true` for SSE chunks).',
        tags: ['openai'],
        body: ChatCompletionRequest,
        response: {
          200: {
            description:
              'A chat.completion, or with `stream: true` a stream of chat.completion.chunk events.',
            content: {
              'application/json': { schema: ChatCompletion },
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
      const ids: CompletionIds = {
        id: `chatcmpl-${request.id}`,
        created: Math.floor(Date.now() / 1000),
        model: body.model,
      };
      const n = body.n ?? 1;
      const context = requestContext(services, request, reply, 'chat-completions');
      if (body.stream !== true) {
        if (n > 1) return completeChoices(services, context, input, ids, n);
        const { text, done } = await services.pipeline.complete(context, input);
        return chatCompletion(ids, text, done);
      }
      const includeUsage = body.stream_options?.include_usage === true;
      if (n > 1) {
        const write = await streamChoices(services, context, input, n);
        const sse = new SseStream(reply, services.draining);
        sse.open({ 'x-request-id': request.id });
        try {
          await write(sse, ids, includeUsage);
        } finally {
          await sse.literal('[DONE]');
          sse.end();
        }
        return reply;
      }
      const { chunks } = await services.pipeline.stream(context, input);
      const iterator = chunks[Symbol.asyncIterator]();
      // The first chunk decides: an error before it is a plain HTTP error with its status.
      const first = await iterator.next();
      const sse = new SseStream(reply, services.draining);
      sse.open({ 'x-request-id': request.id });
      await writeChatStream(sse, ids, first, iterator, { includeUsage, requestId: request.id });
      return reply;
    },
  );
};
