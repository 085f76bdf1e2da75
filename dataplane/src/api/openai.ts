import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../services.ts';
import type { ChatMessage, Chunk, FinishReason, Usage } from '../engine/types.ts';
import { collect, type InferenceInput } from '../engine/inference-engine.ts';
import { toApiError } from '../errors/http.ts';
import { requestSignal, routeEvents } from './inference.ts';
import { ChatCompletion, ChatCompletionRequest, ModelList } from './openai-schemas.ts';
import { errorResponses } from './schemas.ts';
import { SseWriter } from './sse.ts';

/**
 * The OpenAI-compatible surface, so the official clients work unchanged. Streams here are not
 * resumable (OpenAI's format has no resume): a client that disconnects cancels the upstream call.
 */
export const openaiPlugin: FastifyPluginAsync<{ services: Services }> = async (
  app,
  { services },
) => {
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
      config: { scope: 'inference:invoke' },
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
      const body = request.body as ChatCompletionRequest;
      const prepared = services.engine.prepare(toInferenceInput(body));
      const signal = requestSignal(services, reply.raw);
      const chunks = await services.engine.open(prepared, signal, routeEvents(services, prepared));
      const id = `chatcmpl-${request.id}`;
      const created = Math.floor(Date.now() / 1000);
      if (body.stream !== true) {
        const { text, done } = await collect(chunks);
        return {
          id,
          object: 'chat.completion' as const,
          created,
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant' as const, content: text, refusal: null },
              finish_reason: done.finishReason,
              logprobs: null,
            },
          ],
          usage: openAIUsage(done.usage),
        };
      }
      const writer = new SseWriter(reply.raw);
      const frame = (delta: object, finish: FinishReason | null, usage?: Usage) =>
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
          ...(usage === undefined ? {} : { usage: openAIUsage(usage) }),
        })}\n\n`;
      const iterator = chunks[Symbol.asyncIterator]();
      const first = await iterator.next();
      reply.hijack();
      writer.open({ 'x-request-id': request.id });
      try {
        await writer.raw(frame({ role: 'assistant', content: '' }, null));
        for (
          let next: IteratorResult<Chunk> = first;
          next.done !== true;
          next = await iterator.next()
        ) {
          const chunk = next.value;
          if (chunk.type === 'text') await writer.raw(frame({ content: chunk.text }, null));
          else {
            const includeUsage = body.stream_options?.include_usage === true;
            await writer.raw(frame({}, chunk.finishReason, includeUsage ? chunk.usage : undefined));
          }
        }
      } catch (error) {
        await writer.raw(`data: ${JSON.stringify(toApiError(error).toBody(request.id))}\n\n`);
      } finally {
        await writer.raw('data: [DONE]\n\n');
        writer.end();
      }
      return reply;
    },
  );
};

/** OpenAI roles and content parts, in our message shape; `developer` is OpenAI's new `system`. */
function toInferenceInput(body: ChatCompletionRequest): InferenceInput {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : (message.content ?? []).map((part) => part.text).join(''),
    ...(message.name === undefined ? {} : { name: message.name }),
  }));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    model: body.model,
    messages,
    parameters: {
      ...(body.temperature == null ? {} : { temperature: body.temperature }),
      ...(body.top_p == null ? {} : { top_p: body.top_p }),
      ...(maxTokens == null ? {} : { max_tokens: maxTokens }),
      ...(stop == null ? {} : { stop }),
    },
  };
}

function openAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}
