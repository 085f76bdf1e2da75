import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';
import { errorResponses, RequestIdHeader } from './schemas.ts';
import type { VoicePolls } from './voice-poll-sessions.ts';
import type { VoiceSessionOptions } from './voice-uplink.ts';

/** Uplink frames one POST may carry: 2 s of 20 ms audio frames. */
export const MAX_FRAMES_PER_POST = 100;
/** The longest a poll may wait for a frame. */
export const MAX_WAIT_MS = 25_000;

const SessionParams = Type.Object({
  session_id: Type.String({ pattern: '^vp_[0-9a-f-]{36}$' }),
});

const Digits = (description: string) =>
  Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description }));

const PollQuery = Type.Object(
  {
    after: Digits(
      'The number of the last frame received; every frame up to it is acknowledged and forgotten. @default 0',
    ),
    wait_ms: Digits(
      `How long to wait for a frame when none is there, 0 to ${MAX_WAIT_MS}. @default ${MAX_WAIT_MS}`,
    ),
  },
  { additionalProperties: false },
);

const PollSession = Type.Object({
  session_id: Type.String({ description: 'The session, which its downlink frames name.' }),
  max_frames: Type.Integer({ description: 'Uplink frames one POST of frames may carry.' }),
  max_wait_ms: Type.Integer({ description: 'The longest `wait_ms` of a poll.' }),
  idle_ms: Type.Integer({ description: 'A session with no call for this long is ended.' }),
});

const UplinkBatch = Type.Array(
  Type.Unknown({
    description:
      'An uplink frame (docs/voice-frames.schema.json, UplinkFrame); one that breaks the contract gets an `error` frame naming the field, as on the socket.',
  }),
  { minItems: 1, maxItems: MAX_FRAMES_PER_POST },
);

const PollFrames = Type.Object({
  frames: Type.Array(
    Type.Object({
      n: Type.Integer({ minimum: 1, description: "The frame's number in the session." }),
      frame: Type.Unknown({
        description: 'A downlink frame (docs/voice-frames.schema.json, DownlinkFrame).',
      }),
    }),
  ),
  ended: Type.Boolean({
    description:
      'The session has ended (its last frame, an error, says why where it was not a DELETE): no frame comes after these.',
  }),
});

/**
 * The voice session over HTTP long-poll (docs/voice.md), for a client whose WebSocket cannot
 * open: the same session and frames as `GET /api/v1/voice/ws`, its uplink frames POSTed in
 * batches and its downlink frames read by long polls that acknowledge with `after`
 * (voice-poll-channel.ts). A session lives in the replica that created it.
 */
export const voicePollPlugin: FastifyPluginAsyncTypebox<{
  polls: VoicePolls;
  session: Omit<VoiceSessionOptions, 'sessionId' | 'principal'>;
}> = async (app, { polls, session: options }) => {
  const { settings } = polls;
  app.addHook('onClose', () => {
    polls.clear();
  });
  // The socket's Origin allowlist holds here too: a page the socket refuses does not get the
  // same session by falling back to HTTP.
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/v1/voice/polls')) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !settings.allowedOrigins.has(origin))
      throw new ApiError('FORBIDDEN', 'This origin may not open a voice session.', {
        details: { reason: 'origin_not_allowed' },
      });
  });

  app.post(
    '/api/v1/voice/polls',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary:
          'Open a voice session over HTTP long-poll (for a client whose socket cannot open).',
        description:
          'The session of `GET /api/v1/voice/ws`: POST uplink frames to `/frames`, long-poll downlink frames from `/frames?after=<n>`, DELETE to end it. It lives in the replica that created it.',
        tags: ['voice'],
        headers: RequestIdHeader,
        response: { 201: PollSession, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = polls.create({ ...options, principal: principalOf(request) });
      return reply.code(201).send({
        session_id: created.id,
        max_frames: MAX_FRAMES_PER_POST,
        max_wait_ms: MAX_WAIT_MS,
        idle_ms: settings.idleMs,
      });
    },
  );

  app.post(
    '/api/v1/voice/polls/:session_id/frames',
    {
      config: { scope: 'inference:stream' },
      // A batch of frames at most as large as the socket's largest message.
      bodyLimit: settings.maxFrameBytes * 4,
      schema: {
        summary: 'Send uplink frames to a long-polled voice session, in order.',
        description: `At most ${MAX_FRAMES_PER_POST} frames, each at most VOICE_WS_MAX_FRAME_BYTES as JSON (a larger one gets a PAYLOAD_TOO_LARGE error frame), the batch at most 4 times that. Frames are read in order; what they refuse comes as \`error\` frames on the downlink.`,
        tags: ['voice'],
        headers: RequestIdHeader,
        params: SessionParams,
        body: UplinkBatch,
        response: {
          202: Type.Object({ accepted: Type.Integer({ description: 'Frames read.' }) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const arrivedAt = performance.now();
      const { uplink, channel } = polls.get(principalOf(request), request.params.session_id);
      if (channel.closed.aborted)
        throw new ApiError('NOT_FOUND', 'The voice session has ended.', {
          details: { reason: 'voice_session_ended' },
        });
      for (const frame of request.body)
        uplink.read(Buffer.from(JSON.stringify(frame)), false, arrivedAt);
      return reply.code(202).send({ accepted: request.body.length });
    },
  );

  app.get(
    '/api/v1/voice/polls/:session_id/frames',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: "Long-poll a voice session's downlink frames numbered after `after`.",
        description:
          'Answers at once when there are some (or the session has ended), else when one comes or after `wait_ms` with none. `after` acknowledges the frames up to it; repeating a poll with the same `after` returns the same frames. An `after` below an acknowledged one or beyond the last frame is a BAD_REQUEST.',
        tags: ['voice'],
        headers: RequestIdHeader,
        params: SessionParams,
        querystring: PollQuery,
        response: { 200: PollFrames, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const id = request.params.session_id;
      const after = Number(request.query.after ?? 0);
      const waitMs = Number(request.query.wait_ms ?? MAX_WAIT_MS);
      if (waitMs > MAX_WAIT_MS)
        throw new ApiError('BAD_REQUEST', `wait_ms may be at most ${MAX_WAIT_MS}.`, {
          details: { path: 'querystring.wait_ms', maximum: MAX_WAIT_MS },
        });
      const gone = new AbortController();
      reply.raw.once('close', () => {
        gone.abort();
      });
      const answer = await polls.get(principal, id).channel.poll(after, waitMs, gone.signal);
      // The wait counts as use: the idle timer starts again when the poll answers.
      polls.touch(id);
      return answer;
    },
  );

  app.delete(
    '/api/v1/voice/polls/:session_id',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'End a long-polled voice session; its answers stay resumable for their window.',
        tags: ['voice'],
        headers: RequestIdHeader,
        params: SessionParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      polls.delete(principalOf(request), request.params.session_id);
      return reply.code(204).send(null);
    },
  );
};
