import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { performance } from 'node:perf_hooks';
import type { Services } from '../engine/services.ts';
import { startVoiceAnswer } from '../engine/voice/answer.ts';
import type { VoiceMetrics } from '../engine/voice/metrics.ts';
import type { Stt } from '../engine/voice/stt.ts';
import { utteranceSamples } from '../engine/voice/utterance.ts';
import { ApiError } from '../errors/api-error.ts';
import { requestContext } from './request-context.ts';
import { errorResponses, EventStream, RequestIdHeader } from './schemas.ts';
import { replyWithStream } from './stream-reply.ts';

const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';

const VoiceStreamRequest = Type.Object(
  {
    codec: Type.Union([Type.Literal('pcm16'), Type.Literal('opus')], {
      description:
        '`pcm16`: 16-bit little-endian samples, 16 kHz, mono; `opus`: Opus packets, mono, any rate.',
    }),
    audio: Type.Union(
      [
        Type.String({
          minLength: 1,
          pattern: BASE64,
          description: 'pcm16: the utterance, base64.',
        }),
        Type.Array(Type.String({ minLength: 1, pattern: BASE64 }), {
          minItems: 1,
          description:
            "opus: the utterance's packets in order, one raw Opus packet each (no Ogg container), base64.",
        }),
      ],
      {
        description:
          'One utterance: a base64 string for `pcm16`, an array of base64 packets for `opus`.',
      },
    ),
  },
  { additionalProperties: false },
);

/**
 * `POST /api/v1/voice:stream`: one recorded utterance in, its answer out as the resumable SSE
 * stream of `:stream` (resumed with `/api/v1/inference:resume`), with a `transcript` event
 * after the first `resume`.
 */
export const voiceStreamPlugin: FastifyPluginAsyncTypebox<{
  services: Services;
  metrics: VoiceMetrics;
  stt: Stt | undefined;
  model: string | undefined;
}> = async (app, { services, metrics, stt, model }) => {
  app.post(
    '/api/v1/voice::stream',
    {
      config: { scope: 'inference:stream', surface: 'voice' },
      schema: {
        summary: 'Transcribe one utterance and stream its answer as resumable Server-Sent Events.',
        description:
          'Events: `resume`, `transcript` (the recognised text and `stt_ms`), then those of `/api/v1/inference:stream`.',
        tags: ['voice'],
        headers: RequestIdHeader,
        body: VoiceStreamRequest,
        response: { 200: EventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (stt === undefined)
        throw new ApiError(
          'UPSTREAM_UNAVAILABLE',
          'No speech-to-text is configured (VOICE_STT_URL).',
          {
            details: { reason: 'stt_not_configured' },
          },
        );
      const samples = await utteranceSamples(request.body);
      // The producer outlives the connection (resumable): the client leaving does not cancel it.
      const cancel = new AbortController();
      const context = requestContext(services, request, reply, 'voice', cancel);
      const started = performance.now();
      const transcript = await stt.transcribe(samples, cancel.signal);
      const sttMs = performance.now() - started;
      metrics.stt.observe({ early: 'false' }, sttMs / 1000);
      if (transcript === '')
        throw new ApiError('BAD_REQUEST', 'No speech was recognised in the audio.', {
          details: { path: 'body.audio', reason: 'no_speech' },
        });
      const streamId = await startVoiceAnswer(services, context, cancel, {
        transcript,
        history: [],
        model,
      });
      await replyWithStream(services, request, reply, streamId, 0, {
        preface: [{ event: 'transcript', data: { text: transcript, stt_ms: sttMs } }],
      });
      return reply;
    },
  );
};
