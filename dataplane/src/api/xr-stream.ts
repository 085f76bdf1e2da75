import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import { startVoiceAnswer } from '../engine/voice/answer.ts';
import { applyFrame } from '../engine/xr/apply.ts';
import { Anchor, GazeFrame, GestureFrame, PoseFrame } from '../engine/xr/frames.ts';
import { groundingVariables } from '../engine/xr/grounding.ts';
import type { XrMetrics } from '../engine/xr/metrics.ts';
import { resolveUtterance } from '../engine/xr/resolve.ts';
import { normalPose, Scene } from '../engine/xr/scene.ts';
import { XR_PROMPT } from '../engine/xr/session.ts';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';
import { requestContext } from './request-context.ts';
import { errorResponses, RequestIdHeader } from './schemas.ts';
import { relayXrAnswer } from './xr-relay.ts';
import type { XrSettings } from './xr-settings.ts';

/** A frame schema as plain JSON Schema (its `$id` dropped: the route holds it inline). */
const inline = <T extends TSchema>(schema: T): T =>
  JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$id' ? undefined : value,
  ) as T;

/** The 200: an SSE stream of `:stream`'s events with `referent` and `action` besides. */
const XrEventStream = {
  description: 'Server-Sent Events: resume, referent, data, action, heartbeat, done, error.',
  content: {
    'text/event-stream': {
      schema: Type.Object({
        event: Type.Union(
          ['resume', 'referent', 'data', 'action', 'heartbeat', 'done', 'error'].map((name) =>
            Type.Literal(name),
          ),
        ),
        id: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
        data: Type.String({ description: 'A JSON object.' }),
      }),
    },
  },
};

const XrStreamRequest = Type.Object(
  {
    anchors: Type.Array(inline(Anchor), { maxItems: 256 }),
    frames: Type.Array(Type.Union([inline(PoseFrame), inline(GazeFrame), inline(GestureFrame)]), {
      maxItems: 4000,
      description: 'Pose, gaze and gesture frames of the XR socket, in any order.',
    }),
    utterance: Type.Object(
      {
        text: Type.String({ minLength: 1, maxLength: 8000 }),
        start_ts: Type.Number({ minimum: 0, description: 'Its onset, in the frames’ clock.' }),
        end_ts: Type.Optional(Type.Number({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const XrResumeRequest = Type.Object(
  {
    resume_token: Type.String({ minLength: 1, maxLength: 1024 }),
    anchor_ids: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
      maxItems: 256,
      description:
        'The scene’s anchor ids, as the stream was asked with: an action may name only these.',
    }),
  },
  { additionalProperties: false },
);

/**
 * `POST /api/v1/xr:stream`: one utterance with the scene around it (anchors and a window of
 * frames) in, its referent and answer out as a resumable SSE stream: `resume`, `referent`,
 * then `data` (text, actions taken out) and `action` events, a `heartbeat` at least every
 * second, and one `done` or `error`. `POST /api/v1/xr:resume` serves the same events of an
 * answer again after an offset (the token's, or `Last-Event-ID`), each once.
 */
export const xrStreamPlugin: FastifyPluginAsyncTypebox<{
  services: Services;
  metrics: XrMetrics;
  settings: XrSettings;
}> = async (app, { services, metrics, settings }) => {
  app.post(
    '/api/v1/xr::stream',
    {
      config: { scope: 'inference:stream', surface: 'xr' },
      schema: {
        summary: 'Resolve what one utterance refers to in an XR scene and stream its answer (SSE).',
        description:
          'Events: `resume`, `referent` (the resolved anchors and the rule), `data` (text), `action` (a typed action for the client), `heartbeat` (every second), `done`, `error`.',
        tags: ['xr'],
        headers: RequestIdHeader,
        body: XrStreamRequest,
        response: { 200: XrEventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { anchors, frames, utterance } = request.body;
      const scene = new Scene();
      const upserts = anchors.map((anchor, index) => {
        const pose = normalPose(anchor.pose);
        if (pose === undefined)
          throw new ApiError('BAD_REQUEST', 'An anchor orientation is a zero quaternion.', {
            details: { path: `body.anchors[${index}].pose.orientation` },
          });
        return { ...anchor, pose };
      });
      scene.upsert(upserts);
      // A batch has no arrival order: frames are taken in client time.
      const ordered = frames
        .map((frame, index) => ({ frame, index }))
        .sort((a, b) => a.frame.ts - b.frame.ts);
      for (const { frame, index } of ordered) {
        const fault = applyFrame(scene, frame);
        if (fault !== undefined)
          throw new ApiError('BAD_REQUEST', fault.message, {
            details: { path: `body.frames[${index}]${fault.field.replaceAll('/', '.')}` },
          });
      }
      const evidence = scene.evidenceAt(utterance.start_ts, utterance.end_ts ?? utterance.start_ts);
      const resolution = resolveUtterance(upserts, evidence, utterance.text);
      const held = scene.holding('point', utterance.end_ts ?? utterance.start_ts);
      const gesture = held === undefined ? 'no gesture' : `point with the ${held.hand} hand`;
      const variables = groundingVariables(
        upserts,
        evidence.head,
        resolution,
        gesture,
        settings.avatar,
      );
      // The producer outlives the connection (resumable): the client leaving does not cancel it.
      const cancel = new AbortController();
      const context = requestContext(services, request, reply, 'xr', cancel);
      const streamId = await startVoiceAnswer(services, context, cancel, {
        transcript: utterance.text,
        history: [],
        model: settings.model,
        prompt: { id: XR_PROMPT, variables: { ...variables } },
      });
      const referent = {
        at_ts: utterance.start_ts,
        rule: resolution.rule,
        referents: resolution.referents,
        ...(resolution.overruled === undefined ? {} : { overruled: resolution.overruled }),
      };
      await relayXrAnswer(services, metrics, request, reply, {
        streamId,
        after: 0,
        known: new Set(upserts.map((anchor) => anchor.id)),
        preface: [{ event: 'referent', data: referent }],
      });
      return reply;
    },
  );

  app.post(
    '/api/v1/xr::resume',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'Resume an XR answer after the offset in the token (or in Last-Event-ID).',
        description:
          'The events of `xr:stream` after that offset (`data` without action markup, `action`, `heartbeat`, `done` or `error`), each once; `referent` is not sent again.',
        tags: ['xr'],
        headers: Type.Intersect([
          RequestIdHeader,
          Type.Object({
            'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          }),
        ]),
        body: XrResumeRequest,
        response: { 200: XrEventStream, ...errorResponses },
      },
    },
    async (request, reply) => {
      const resumes = services.metrics.streamResumes;
      let position: ReturnType<typeof services.resumeTokens.verify>;
      try {
        position = services.resumeTokens.verify(request.body.resume_token);
      } catch (error) {
        resumes.inc({ result: 'invalid' });
        throw error;
      }
      const meta = await services.streams.meta(position.streamId);
      if (meta?.tenant !== principalOf(request).tenant) {
        resumes.inc({ result: 'expired' });
        throw new ApiError('INVALID_RESUME_TOKEN', 'Resume token names a stream that has expired.');
      }
      resumes.inc({ result: 'served' });
      const lastEventId = request.headers['last-event-id'];
      await relayXrAnswer(services, metrics, request, reply, {
        streamId: position.streamId,
        after: lastEventId === undefined ? position.offset : Number(lastEventId),
        known: new Set(request.body.anchor_ids),
        preface: [],
      });
      return reply;
    },
  );
};
