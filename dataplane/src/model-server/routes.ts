/**
 * The model server's OpenAI-compatible API: `/v1/chat/completions` (whole or streamed),
 * `/v1/embeddings` (when the model is an encoder) and `/v1/models`. The wire format is the
 * gateway's own (formats/openai: the request schema, its translation, the completion and
 * chunk shapes; api/sse.ts writes the frames); what differs is what answers: the slot's
 * active version, in this process, behind a bounded queue, instead of the gateway's pipeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { responseFormatOf, type InferenceInput } from '../core/inference-input.ts';
import type { DoneChunk } from '../core/types.ts';
import type { Semaphore } from '../engine/routing/semaphore.ts';
import { ApiError } from '../errors/api-error.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { embeddingList } from '../formats/openai/embeddings.ts';
import { toInferenceInput } from '../formats/openai/input.ts';
import { chatCompletion, type CompletionIds } from '../formats/openai/output.ts';
import {
  ChatCompletion,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelList,
} from '../formats/openai/schemas.ts';
import type { ProviderRequest } from '../providers/provider.ts';
import { errorResponses } from '../api/schemas.ts';
import { SseStream } from '../api/sse.ts';
import { writeChatStream } from '../api/chat-stream.ts';
import type { ModelServerMetrics } from './metrics.ts';
import type { Lease, ModelSlot } from './model-slot.ts';

export interface ModelRoutesOptions {
  /** The InferenceModel's name: what `/v1/models` lists. */
  modelName: string;
  slot: ModelSlot;
  /** Bounds the answers generated at once; the rest wait in its queue. */
  semaphore: Semaphore;
  metrics: ModelServerMetrics;
}

/** Model-server streams are never cut by a drain: they finish, then the process exits. */
const NEVER = new AbortController().signal;

export const modelRoutes: FastifyPluginAsyncTypebox<ModelRoutesOptions> = async (app, options) => {
  const { slot, semaphore, metrics } = options;

  /** A lease on the active version and a generation slot, for as long as the answer runs. */
  const admit = async (reply: FastifyReply, task: 'chat' | 'embeddings') => {
    const signal = clientGone(reply);
    const permit = await semaphore.acquire(signal);
    let lease: Lease;
    try {
      lease = slot.lease();
    } catch (error) {
      permit();
      throw error;
    }
    const release = () => {
      lease.release();
      permit();
    };
    // Which version answers: the one leased now, even if the slot switches before the end.
    void reply.header('x-model-version', lease.model.version);
    if (lease.model.resolved.task !== task) {
      release();
      throw new ApiError(
        'BAD_REQUEST',
        task === 'chat'
          ? `Model ${options.modelName} is an encoder: it serves /v1/embeddings only.`
          : `Model ${options.modelName} has no embeddings: it serves /v1/chat/completions.`,
        { details: { model: options.modelName } },
      );
    }
    return { model: lease.model, release, signal };
  };

  const settle = (operation: string, outcome: Outcome, done?: DoneChunk) => {
    metrics.requests.inc({ operation, outcome });
    if (done === undefined) return;
    metrics.tokens.inc({ direction: 'input' }, done.usage.inputTokens);
    metrics.tokens.inc({ direction: 'output' }, done.usage.outputTokens);
    metrics.decoded(done.usage.outputTokens);
  };

  app.get('/v1/models', { schema: { tags: ['openai'], response: { 200: ModelList } } }, () => ({
    object: 'list' as const,
    data: [
      {
        id: options.modelName,
        object: 'model' as const,
        created: 0,
        owned_by: 'inference-service',
      },
    ],
  }));

  app.post(
    '/v1/chat/completions',
    {
      schema: {
        tags: ['openai'],
        body: ChatCompletionRequest,
        response: {
          200: {
            description: 'A chat.completion, or with `stream: true` chat.completion.chunk events.',
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
      const providerRequest = toProviderRequest(toInferenceInput(body));
      const ids: CompletionIds = {
        id: `chatcmpl-${request.id}`,
        created: Math.floor(Date.now() / 1000),
        model: body.model,
      };
      const { model, release, signal } = await admit(reply, 'chat');
      let done: DoneChunk | undefined;
      let failure: unknown;
      try {
        const iterator = model.stream(providerRequest, signal)[Symbol.asyncIterator]();
        // The first chunk decides: an error before it is a plain HTTP error with its status.
        const first = await iterator.next();
        if (body.stream !== true) {
          let text = '';
          for (let next = first; next.done !== true; next = await iterator.next()) {
            if (next.value.type === 'text') text += next.value.text;
            else done = next.value;
          }
          if (done === undefined) throw new ApiError('INTERNAL', 'The answer had no end.');
          return chatCompletion(ids, text, done);
        }
        const sse = new SseStream(reply, NEVER);
        sse.open({ 'x-request-id': request.id });
        ({ done, failure } = await writeChatStream(sse, ids, first, iterator, {
          includeUsage: body.stream_options?.include_usage === true,
          requestId: request.id,
        }));
        return await reply;
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        release();
        settle('chat', outcomeOf(done, failure, signal), done);
      }
    },
  );

  app.post(
    '/v1/embeddings',
    {
      schema: {
        tags: ['openai'],
        body: EmbeddingsRequest,
        response: { 200: EmbeddingsResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { model, release, signal } = await admit(reply, 'embeddings');
      try {
        const result = await model.embed(
          {
            input: typeof body.input === 'string' ? [body.input] : body.input,
            ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
          },
          signal,
        );
        metrics.requests.inc({ operation: 'embeddings', outcome: 'ok' });
        metrics.tokens.inc({ direction: 'input' }, result.inputTokens);
        return embeddingList(body.model, result, body.encoding_format);
      } catch (error) {
        metrics.requests.inc({
          operation: 'embeddings',
          outcome: outcomeOf(undefined, error, signal),
        });
        throw error;
      } finally {
        release();
      }
    },
  );
};

type Outcome = 'ok' | 'failed' | 'refused' | 'cancelled';

/** An answer that ended, a client that left, a request refused (4xx), or a model that failed. */
function outcomeOf(done: DoneChunk | undefined, failure: unknown, signal: AbortSignal): Outcome {
  if (failure === undefined && done !== undefined) return 'ok';
  if (signal.aborted) return 'cancelled';
  if (failure === undefined) return 'failed';
  return toApiError(failure).status < 500 ? 'refused' : 'failed';
}

/** The chat request as the runtime takes it; tools and formats pass on so it can refuse them. */
function toProviderRequest(input: InferenceInput): Omit<ProviderRequest, 'model'> {
  const messages = input.messages ?? [];
  if (messages.length === 0) {
    throw new ApiError('BAD_REQUEST', 'body.messages must not be empty.', {
      details: { path: 'body.messages' },
    });
  }
  const p = input.parameters ?? {};
  return {
    messages,
    ...(p.temperature === undefined ? {} : { temperature: p.temperature }),
    ...(p.top_p === undefined ? {} : { topP: p.top_p }),
    ...(p.max_tokens === undefined ? {} : { maxTokens: p.max_tokens }),
    ...(p.stop === undefined ? {} : { stop: p.stop }),
    ...(p.seed === undefined ? {} : { seed: p.seed }),
    ...(p.response_format === undefined
      ? {}
      : { responseFormat: responseFormatOf(p.response_format) }),
    ...(p.logprobs === true ? { logprobs: { topLogprobs: p.top_logprobs ?? 0 } } : {}),
    ...(input.tools === undefined ? {} : { tools: input.tools }),
    ...(input.toolChoice === undefined ? {} : { toolChoice: input.toolChoice }),
  };
}

/** Aborts when the client goes away before the response has ended. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableEnded)
      controller.abort(new ApiError('BAD_REQUEST', 'The client went away.'));
  });
  return controller.signal;
}

/** A vector as OpenAI's base64 encoding: little-endian float32. */
