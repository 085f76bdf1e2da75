import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../engine/services.ts';
import { ApiError } from '../errors/api-error.ts';
import { requestSignal } from './inference.ts';
import { EmbeddingsRequest, EmbeddingsResponse } from '../formats/openai/schemas.ts';
import { errorResponses } from './schemas.ts';

/**
 * `POST /v1/embeddings`, OpenAI-compatible: the model alias's route, through the router's
 * fallback chain (breakers, retries, cooldowns), on the targets whose provider has embeddings
 * (openai, openai-compatible, local model servers, mock). A target without them is a 400: the
 * route is not an embeddings route.
 */
export const embeddingsPlugin: FastifyPluginAsync<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v1/embeddings',
    {
      config: { scope: 'inference:invoke' },
      schema: {
        summary: 'OpenAI-compatible embeddings (float arrays, or base64 float32 when asked).',
        tags: ['openai'],
        body: EmbeddingsRequest,
        response: { 200: EmbeddingsResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body as EmbeddingsRequest;
      const route = services.snapshot().routes.get(body.model);
      if (route === undefined) {
        throw new ApiError('MODEL_NOT_FOUND', `No route serves model ${body.model}.`, {
          details: { model: body.model },
        });
      }
      const input = typeof body.input === 'string' ? [body.input] : body.input;
      const signal = requestSignal(services, reply.raw);
      const result = await services.router.call(
        route,
        (provider, target, attemptSignal) => {
          if (provider.embed === undefined) {
            throw new ApiError('BAD_REQUEST', `Model ${body.model} does not serve embeddings.`, {
              details: { model: body.model, target: target.name },
            });
          }
          const dimensions = body.dimensions === undefined ? {} : { dimensions: body.dimensions };
          return provider.embed({ model: target.model, input, ...dimensions }, attemptSignal);
        },
        signal,
      );
      return {
        object: 'list' as const,
        data: result.vectors.map((vector, index) => ({
          object: 'embedding' as const,
          index,
          embedding: body.encoding_format === 'base64' ? toBase64(vector) : vector,
        })),
        model: body.model,
        usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
      };
    },
  );
};

/** A vector as OpenAI's base64 encoding: little-endian float32. */
function toBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
