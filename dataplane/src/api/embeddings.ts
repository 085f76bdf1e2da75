import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../engine/services.ts';
import { embeddingList } from '../formats/openai/embeddings.ts';
import { EmbeddingsRequest, EmbeddingsResponse } from '../formats/openai/schemas.ts';
import { requestContext } from './request-context.ts';
import { errorResponses } from './schemas.ts';

/**
 * `POST /v1/embeddings`, OpenAI-compatible, through the pipeline like every surface (the
 * concurrency limit, the input PII policy, the route's fallback chain with breakers, retries
 * and cooldowns) on the targets whose provider has embeddings (openai, openai-compatible,
 * local model servers, mock). A target without them is a 400: the route is not an embeddings route.
 */
export const embeddingsPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v1/embeddings',
    {
      config: { scope: 'inference:invoke', surface: 'embeddings' },
      schema: {
        summary: 'OpenAI-compatible embeddings (float arrays, or base64 float32 when asked).',
        tags: ['openai'],
        body: EmbeddingsRequest,
        response: { 200: EmbeddingsResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const context = requestContext(services, request, reply, 'embeddings');
      const result = await services.pipeline.embed(context, {
        model: body.model,
        input: typeof body.input === 'string' ? [body.input] : body.input,
        ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
      });
      return embeddingList(body.model, result, body.encoding_format);
    },
  );
};
