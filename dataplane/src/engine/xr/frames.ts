import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ErrorFrame, FinalFrame, PartialFrame, type FrameFault } from '../voice/frames.ts';
import { XrAction } from './actions.ts';

/**
 * The XR socket's frame contracts (docs/xr.md), one JSON object per WebSocket text message:
 * uplink `{type, data, ts}`. `make gen` writes them as docs/xr-frames.schema.json and
 * docs/xr-frames.d.ts. The scene is WebXR's: metres, right-handed, +y up, forward is -z.
 */

const Coordinate = Type.Number({ minimum: -10_000, maximum: 10_000 });
const Vec3 = Type.Tuple([Coordinate, Coordinate, Coordinate], { description: '[x, y, z], m.' });
const Unit = Type.Number({ minimum: -1, maximum: 1 });
const Quat = Type.Tuple([Unit, Unit, Unit, Unit], {
  description: 'A rotation as a quaternion [x, y, z, w]; normalised on arrival.',
});
const Pose = Type.Object({ position: Vec3, orientation: Quat }, { additionalProperties: false });
const Ts = Type.Number({
  minimum: 0,
  description: "The client's clock when the frame was sampled, ms (any origin, monotonic).",
});
const AnchorId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const Hand = Type.Union([Type.Literal('left'), Type.Literal('right')]);

export const PoseFrame = Type.Object(
  {
    type: Type.Literal('pose'),
    data: Type.Object(
      {
        head: Type.Optional(Pose),
        left_hand: Type.Optional(Pose),
        right_hand: Type.Optional(Pose),
      },
      {
        additionalProperties: false,
        minProperties: 1,
        description: "Head and hands; a hand's pose is its target ray (WebXR targetRaySpace).",
      },
    ),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'PoseFrame' },
);

export const GazeFrame = Type.Object(
  {
    type: Type.Literal('gaze'),
    data: Type.Object(
      {
        origin: Vec3,
        direction: Type.Tuple([Unit, Unit, Unit], { description: 'Normalised on arrival.' }),
      },
      { additionalProperties: false },
    ),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'GazeFrame' },
);

export const GestureFrame = Type.Object(
  {
    type: Type.Literal('gesture'),
    data: Type.Object(
      {
        kind: Type.Union([Type.Literal('point'), Type.Literal('pinch'), Type.Literal('grab')]),
        hand: Hand,
        phase: Type.Union([Type.Literal('start'), Type.Literal('end')]),
      },
      { additionalProperties: false },
    ),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'GestureFrame' },
);

export const VoiceVadFrame = Type.Object(
  {
    type: Type.Literal('voice_vad'),
    data: Type.Union([
      Type.Object({ state: Type.Literal('start') }, { additionalProperties: false }),
      Type.Object(
        {
          state: Type.Literal('end'),
          text: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 8000,
              description: "The utterance's transcript (the voice socket's, or the client's).",
            }),
          ),
          start_ts: Type.Optional(
            Type.Number({ minimum: 0, description: 'Its onset; default the last `start` frame.' }),
          ),
        },
        { additionalProperties: false },
      ),
    ]),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'VoiceVadFrame' },
);

export const Anchor = Type.Object(
  {
    id: AnchorId,
    label: Type.String({ minLength: 1, maxLength: 200 }),
    pose: Pose,
    extent: Type.Tuple(
      [
        Type.Number({ minimum: 0, maximum: 1000 }),
        Type.Number({ minimum: 0, maximum: 1000 }),
        Type.Number({ minimum: 0, maximum: 1000 }),
      ],
      { description: "The box's full size along its local x, y, z, m." },
    ),
  },
  { additionalProperties: false, $id: 'Anchor' },
);

export const AnchorsFrame = Type.Object(
  {
    type: Type.Literal('anchors'),
    data: Type.Object(
      {
        upsert: Type.Optional(Type.Array(Anchor, { maxItems: 256 })),
        remove: Type.Optional(Type.Array(AnchorId, { maxItems: 256 })),
      },
      { additionalProperties: false },
    ),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'AnchorsFrame' },
);

export const ResumeFrame = Type.Object(
  {
    type: Type.Literal('resume'),
    data: Type.Object(
      {
        session_key: Type.Optional(
          Type.String({ minLength: 1, maxLength: 64, description: "A `session` frame's key." }),
        ),
        resume_token: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
        after: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'ResumeFrame' },
);

export const XrUplinkFrame = Type.Union(
  [PoseFrame, GazeFrame, GestureFrame, VoiceVadFrame, AnchorsFrame, ResumeFrame],
  { $id: 'XrUplinkFrame' },
);
export type XrUplinkFrame = Static<typeof XrUplinkFrame>;
export type XrAnchorInput = Static<typeof Anchor>;

const SessionId = Type.String({
  description: "The socket's request id (the upgrade's x-request-id).",
});

export const SessionFrame = Type.Object(
  {
    type: Type.Literal('session'),
    session_id: SessionId,
    session_key: Type.String({ description: 'Resumes this scene on a new socket for 30 s.' }),
    resumed: Type.Boolean(),
    anchors: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, $id: 'SessionFrame' },
);

const Referent = Type.Object(
  {
    anchor_id: Type.String(),
    label: Type.String(),
    source: Type.Union([Type.Literal('point'), Type.Literal('gaze'), Type.Literal('hand')]),
    distance_m: Type.Number(),
    angle_deg: Type.Number(),
  },
  { additionalProperties: false },
);

export const ReferentFrame = Type.Object(
  {
    type: Type.Literal('referent'),
    session_id: SessionId,
    turn_id: Type.Optional(Type.String()),
    cause: Type.Union([Type.Literal('utterance'), Type.Literal('gesture')]),
    at_ts: Type.Number({ description: 'The client moment resolved, in its clock.' }),
    rule: Type.String({ description: 'Which resolution rule decided (docs/xr.md).' }),
    referents: Type.Array(Referent),
    overruled: Type.Optional(Referent),
  },
  { additionalProperties: false, $id: 'ReferentFrame' },
);

export const ActionFrame = Type.Object(
  {
    type: Type.Literal('action'),
    session_id: SessionId,
    turn_id: Type.String(),
    stream_id: Type.String(),
    offset: Type.Integer({ minimum: 1, description: 'The answer chunk that carried it.' }),
    action: XrAction,
  },
  { additionalProperties: false, $id: 'ActionFrame' },
);

const StreamFigures = Type.Object(
  {
    frames: Type.Integer({ minimum: 0 }),
    jitter_ms: Type.Number({ description: "RFC 3550's interarrival jitter." }),
    dropped_stale: Type.Integer({ minimum: 0 }),
    dropped_out_of_order: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const TimingFrame = Type.Object(
  {
    type: Type.Literal('timing'),
    session_id: SessionId,
    clock_offset_ms: Type.Union([Type.Number(), Type.Null()], {
      description: 'Arrival clock minus the client clock, least over 10 s; null before a frame.',
    }),
    streams: Type.Record(Type.String(), StreamFigures),
    actions_dropped: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, $id: 'TimingFrame' },
);

export const XrDownlinkFrame = Type.Union(
  [SessionFrame, ReferentFrame, PartialFrame, FinalFrame, ActionFrame, TimingFrame, ErrorFrame],
  { $id: 'XrDownlinkFrame' },
);
export type XrDownlinkFrame = Static<typeof XrDownlinkFrame>;

const checkers = new Map<string, TypeCheck<TSchema>>(
  [PoseFrame, GazeFrame, GestureFrame, VoiceVadFrame, AnchorsFrame, ResumeFrame].map((schema) => [
    schema.properties.type.const,
    TypeCompiler.Compile(schema),
  ]),
);
const TYPES = [...checkers.keys()].join(', ');

/** An uplink text message as a frame, or the first field that breaks the contract. */
export function parseXrUplink(text: string): XrUplinkFrame | FrameFault {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { field: '', message: 'The frame is not JSON.' };
  }
  const type =
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)['type']
      : undefined;
  const checker = typeof type === 'string' ? checkers.get(type) : undefined;
  if (checker === undefined) return { field: '/type', message: `type must be one of ${TYPES}.` };
  if (checker.Check(value)) return value as XrUplinkFrame;
  const error = [...checker.Errors(value)].sort((a, b) => b.path.length - a.path.length)[0];
  return { field: error?.path ?? '', message: error?.message ?? 'Invalid frame.' };
}
