import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { performance } from 'node:perf_hooks';
import type { Services } from '../engine/services.ts';
import { startVoiceAnswer } from '../engine/voice/answer.ts';
import type { VoiceMetrics } from '../engine/voice/metrics.ts';
import type { Stt } from '../engine/voice/stt.ts';
import { pcm16ToFloat } from '../engine/voice/wav.ts';
import { ApiError } from '../errors/api-error.ts';
import { requestContext } from './request-context.ts';
import { errorResponses, EventStream, RequestIdHeader } from './schemas.ts';
import { replyWithStream } from './stream-reply.ts';

const VoiceStreamRequest = Type.Object(
  {
    codec: Type.Union([Type.Literal('pcm16'), Type.Literal('opus')], {
      description: '`pcm16`: 16-bit little-endian samples, 16 kHz, mono.',
    }),
    audio: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z0-9+/]*={0,2}$',
      description: 'One utterance, base64.',
    }),
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
      if (request.body.codec === 'opus')
        throw new ApiError(
          'UNSUPPORTED_MEDIA_TYPE',
          'codec opus is not decoded here; send pcm16.',
          {
            details: { path: 'body.codec' },
          },
        );
      if (stt === undefined)
        throw new ApiError(
          'UPSTREAM_UNAVAILABLE',
          'No speech-to-text is configured (VOICE_STT_URL).',
          {
            details: { reason: 'stt_not_configured' },
          },
        );
      const pcm = Buffer.from(request.body.audio, 'base64');
      if (pcm.length === 0 || pcm.length % 2 !== 0)
        throw new ApiError('BAD_REQUEST', 'pcm16 audio holds one or more whole 16-bit samples.', {
          details: { path: 'body.audio' },
        });
      // The producer outlives the connection (resumable): the client leaving does not cancel it.
      const cancel = new AbortController();
      const context = requestContext(services, request, reply, 'voice', cancel);
      const started = performance.now();
      const transcript = await stt.transcribe(pcm16ToFloat(pcm), cancel.signal);
      const sttMs = performance.now() - started;
      metrics.stt.observe(sttMs / 1000);
      if (transcript === '')
        throw new ApiError('BAD_REQUEST', 'No speech was recognised in the audio.', {
          details: { path: 'body.audio', reason: 'no_speech' },
        });
      const streamId = await startVoiceAnswer(services, context, cancel, {
        transcript,
        history: [],
        model,
      });
      await replyWithStream(services, request, reply, streamId, 0, [
        { event: 'transcript', data: { text: transcript, stt_ms: sttMs } },
      ]);
      return reply;
    },
  );
};
