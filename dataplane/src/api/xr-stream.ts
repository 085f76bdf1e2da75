import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../engine/services.ts';
import { startVoiceAnswer } from '../engine/voice/answer.ts';
import { ActionExtractor, type Extracted } from '../engine/xr/actions.ts';
import { applyFrame } from '../engine/xr/apply.ts';
import { Anchor, GazeFrame, GestureFrame, PoseFrame } from '../engine/xr/frames.ts';
import { groundingVariables } from '../engine/xr/grounding.ts';
import type { XrMetrics } from '../engine/xr/metrics.ts';
import { resolveUtterance, type Resolution } from '../engine/xr/resolve.ts';
import { normalPose, Scene } from '../engine/xr/scene.ts';
import { XR_PROMPT } from '../engine/xr/session.ts';
import { ApiError } from '../errors/api-error.ts';
import { requestContext } from './request-context.ts';
import { errorResponses, RequestIdHeader } from './schemas.ts';
import { SseStream } from './sse.ts';
import type { XrSettings } from './xr-settings.ts';

/** The stream's heartbeat at most this far apart, whatever `streams.heartbeatMs` says. */
export const XR_HEARTBEAT_MS = 1000;

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

/**
 * `POST /api/v1/xr:stream`: one utterance with the scene around it (anchors and a window of
 * frames) in, its referent and answer out as a resumable SSE stream: `resume`, `referent`,
 * then `data` (text, actions taken out) and `action` events, a `heartbeat` at least every
 * second, and one `done` or `error`.
 */
export const xrStreamPlugin: FastifyPluginAsyncTypebox<{
  services: Services;
  metrics: XrMetrics;
  settings: XrSettings;
}> = async (app, { services, metrics, settings }) => {
  app.post(
    '/api/v1/xr::stream',
    {
      config: { scope: 'inference:stream', surface: 'voice' },
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
      const context = requestContext(services, request, reply, 'voice', cancel);
      const streamId = await startVoiceAnswer(services, context, cancel, {
        transcript: utterance.text,
        history: [],
        model: settings.model,
        prompt: { id: XR_PROMPT, variables: { ...variables } },
      });
      const known = new Set(upserts.map((anchor) => anchor.id));
      await relay(
        services,
        metrics,
        request,
        reply,
        streamId,
        resolution,
        utterance.start_ts,
        known,
      );
      return reply;
    },
  );
};

/**
 * Serves the answer as SSE through the one SSE writer: its text with the actions taken out,
 * each valid action as its own event (an invalid one dropped and counted), heartbeats at
 * least every second so the stream is never silent for 2 s.
 */
async function relay(
  services: Services,
  metrics: XrMetrics,
  request: FastifyRequest,
  reply: FastifyReply,
  streamId: string,
  resolution: Resolution,
  atTs: number,
  known: ReadonlySet<string>,
): Promise<void> {
  const detach = services.sessions.attach(streamId);
  const sse = new SseStream(reply, services.draining);
  const events = services.streams.tail(streamId, 0, sse.closed)[Symbol.asyncIterator]();
  const extractor = new ActionExtractor((id) => known.has(id));
  const id = request.id;
  let offset = 0;
  const resume = () => ({
    resume_token: services.resumeTokens.sign({ streamId, offset }).token,
    stream_id: streamId,
    offset,
    request_id: id,
  });
  const send = async (extracted: Extracted, at: number) => {
    if (extracted.text !== '')
      await sse.event('data', { text: extracted.text, request_id: id }, at);
    for (const action of extracted.actions)
      await sse.event('action', { action, request_id: id }, at);
    for (const reason of extracted.dropped) metrics.actionsDropped.inc({ reason });
  };
  try {
    const first = await events.next();
    if (first.done !== true && first.value.type === 'error') {
      const { code, message, details } = first.value.error;
      throw new ApiError(code, message, details === undefined ? {} : { details });
    }
    sse.open({ 'x-request-id': id, 'x-stream-id': streamId });
    await sse.event('resume', resume());
    await sse.event('referent', {
      at_ts: atTs,
      rule: resolution.rule,
      referents: resolution.referents,
      ...(resolution.overruled === undefined ? {} : { overruled: resolution.overruled }),
      request_id: id,
    });
    const heartbeatMs = Math.min(services.snapshot().gateway.streams.heartbeatMs, XR_HEARTBEAT_MS);
    sse.heartbeat(heartbeatMs, () => {
      void sse.event('heartbeat', { offset, request_id: id });
    });
    for (let next = first; next.done !== true; next = await events.next()) {
      const event = next.value;
      offset = event.offset;
      if (event.type === 'data') {
        await send(extractor.push(event.text), event.offset);
        continue;
      }
      if (event.type === 'done') {
        await send(extractor.finish(), event.offset);
        const { usage } = event.done;
        await sse.event(
          'done',
          {
            finish_reason: event.done.finishReason,
            usage: {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              cached_tokens: usage.cachedTokens,
            },
            request_id: id,
          },
          event.offset,
        );
      } else await sse.event('error', { ...event.error, request_id: id }, event.offset);
      return;
    }
  } finally {
    detach();
    void events.return?.();
    sse.end();
  }
}
