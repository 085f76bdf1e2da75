import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import type {
  Chunk,
  FinishReason,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from '../core/types.ts';
import { collect, type Prepared } from '../engine/inference-engine.ts';
import { ApiError } from '../errors/api-error.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { embeddingsPlugin } from './embeddings.ts';
import { toInferenceInput } from '../formats/openai/input.ts';
import { requestSignal, routeEvents } from './inference.ts';
import { ChatCompletion, ChatCompletionRequest, ModelList } from '../formats/openai/schemas.ts';
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
      const prepared = withTools(services.engine.prepare(toInferenceInput(body)), body);
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
              message: {
                role: 'assistant' as const,
                content: done.toolCalls !== undefined && text === '' ? null : text,
                refusal: null,
                ...(done.toolCalls === undefined
                  ? {}
                  : { tool_calls: openAIToolCalls(done.toolCalls) }),
              },
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
            if (chunk.toolCalls !== undefined) {
              // Whole calls in one delta: the clients join fragments, and one fragment is a whole.
              const calls = openAIToolCalls(chunk.toolCalls).map((call, index) => ({
                index,
                ...call,
              }));
              await writer.raw(frame({ tool_calls: calls }, null));
            }
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

/** The request's tools and tool choice on the prepared request; a choice naming no tool is a 400. */
function withTools(prepared: Prepared, body: ChatCompletionRequest): Prepared {
  const tools: ToolDefinition[] | undefined = body.tools?.map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined
      ? undefined
      : typeof choice === 'string'
        ? choice
        : { name: choice.function.name };
  if (
    toolChoice !== undefined &&
    toolChoice !== 'none' &&
    (tools === undefined || tools.length === 0)
  ) {
    throw new ApiError('BAD_REQUEST', 'tool_choice needs tools.', {
      details: { path: 'body.tool_choice' },
    });
  }
  if (typeof toolChoice === 'object' && !tools?.some((tool) => tool.name === toolChoice.name)) {
    throw new ApiError(
      'BAD_REQUEST',
      `tool_choice names ${toolChoice.name}, which is not among the tools.`,
      {
        details: { path: 'body.tool_choice' },
      },
    );
  }
  if (tools === undefined) return prepared;
  return {
    ...prepared,
    request: { ...prepared.request, tools, ...(toolChoice === undefined ? {} : { toolChoice }) },
  };
}

function openAIToolCalls(calls: readonly ToolCall[]) {
  return calls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
}

function openAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}
