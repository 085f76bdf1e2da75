import { Type, type Static } from '@sinclair/typebox';
import { ERRORS, type ErrorCode } from '../../core/error-codes.ts';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The voice socket's frame contracts (docs/voice.md), one JSON object per WebSocket text
 * message. `make gen` writes them as docs/voice-frames.schema.json and docs/voice-frames.d.ts.
 */

const Seq = Type.Integer({
  minimum: 0,
  maximum: 2 ** 53 - 1,
  description: "The client's frame counter.",
});
const Ts = Type.Number({
  minimum: 0,
  description: "The client's clock when it sent the frame, ms.",
});
const Id = Type.String({ description: "The session's request id (the upgrade's x-request-id)." });

export const AudioFrame = Type.Object(
  {
    type: Type.Literal('audio'),
    codec: Type.Union([Type.Literal('pcm16'), Type.Literal('opus')], {
      description:
        '`pcm16`: 16-bit little-endian samples, 16 kHz, mono; `opus`: one Opus packet, mono.',
    }),
    seq: Seq,
    payload: Type.String({
      pattern: '^[A-Za-z0-9+/]*={0,2}$',
      description: 'The audio bytes, base64.',
    }),
    ts: Ts,
  },
  { additionalProperties: false, $id: 'AudioFrame' },
);

export const ControlPayload = Type.Union([
  Type.Object(
    {
      action: Type.Literal('text'),
      text: Type.String({ minLength: 1, maxLength: 8000, description: 'A typed turn.' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      action: Type.Literal('resume'),
      resume_token: Type.String({ minLength: 1, maxLength: 1024 }),
      after: Type.Optional(
        Type.Integer({ minimum: 0, description: 'The last answer offset received.' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      action: Type.Literal('tts'),
      voice: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 64,
          description: "The speech API's voice (`alloy` if absent).",
        }),
      ),
    },
    {
      additionalProperties: false,
      description:
        'Asks for server speech: later answers also come as `audio` frames, a sentence each. Refused (BAD_REQUEST, `details.parameter: "tts"`) where the gateway has no VOICE_TTS_ROUTE.',
    },
  ),
]);

export const ControlFrame = Type.Object(
  { type: Type.Literal('control'), seq: Seq, payload: ControlPayload, ts: Ts },
  { additionalProperties: false, $id: 'ControlFrame' },
);

export const UplinkFrame = Type.Union([AudioFrame, ControlFrame], { $id: 'UplinkFrame' });
export type UplinkFrame = Static<typeof UplinkFrame>;

const Turn = {
  turn_id: Type.String({ description: "The turn's request id (its x-request-id)." }),
  session_id: Id,
};

const Usage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
});

export const PartialFrame = Type.Object(
  {
    type: Type.Literal('partial'),
    ...Turn,
    stream_id: Type.String({ description: "The answer's stream, which a resume token names." }),
    offset: Type.Integer({ minimum: 1, description: "The answer chunk's offset in the stream." }),
    text: Type.String({ description: "The answer's next text." }),
  },
  { additionalProperties: false, $id: 'PartialFrame' },
);

export const TranscriptFrame = Type.Object(
  {
    type: Type.Literal('transcript'),
    ...Turn,
    text: Type.String({
      description: "The utterance's words so far, while it is spoken; its `final` comes after.",
    }),
  },
  { additionalProperties: false, $id: 'TranscriptFrame' },
);

export const VadFrame = Type.Object(
  {
    type: Type.Literal('vad'),
    ...Turn,
    speech: Type.Union([Type.Literal('start'), Type.Literal('end')], {
      description:
        'start: speech has lasted about 128 ms (an onset, not a click); end: about 384 ms of silence ended the utterance.',
    }),
  },
  { additionalProperties: false, $id: 'VadFrame' },
);

export const FinalFrame = Type.Object(
  {
    type: Type.Literal('final'),
    ...Turn,
    source: Type.Union([Type.Literal('transcript'), Type.Literal('answer')]),
    text: Type.String({ description: 'The whole transcript, or the whole answer.' }),
    stream_id: Type.Optional(Type.String()),
    resume_token: Type.Optional(
      Type.String({ description: 'On the transcript: resumes the answer that follows.' }),
    ),
    offset: Type.Optional(Type.Integer({ minimum: 1 })),
    finish_reason: Type.Optional(Type.String()),
    usage: Type.Optional(Usage),
  },
  { additionalProperties: false, $id: 'FinalFrame' },
);

export const BargeInFrame = Type.Object(
  {
    type: Type.Literal('barge_in'),
    ...Turn,
    latency_ms: Type.Number({ description: "From the onset frame's arrival to the cancel." }),
  },
  { additionalProperties: false, $id: 'BargeInFrame' },
);

export const MetricsFrame = Type.Object(
  {
    type: Type.Literal('metrics'),
    ...Turn,
    ttft_ms: Type.Optional(Type.Number({ description: 'End of speech to the first partial.' })),
    stt_ms: Type.Optional(
      Type.Number({
        description:
          'The wait for the transcript after the end of speech (its transcription may begin before).',
      }),
    ),
    barge_in_ms: Type.Optional(Type.Number()),
    speculative: Type.Optional(
      Type.Literal(true, {
        description: 'The answer was begun on the early transcript in the pause and adopted.',
      }),
    ),
  },
  { additionalProperties: false, $id: 'MetricsFrame' },
);

export const SpeechFrame = Type.Object(
  {
    type: Type.Literal('audio'),
    ...Turn,
    stream_id: Type.String({ description: "The answer's stream." }),
    index: Type.Integer({ minimum: 0, description: "The sentence's index in the answer." }),
    codec: Type.Literal('mp3'),
    text: Type.String({ description: 'The sentence spoken.' }),
    payload: Type.String({ description: 'The audio, base64.' }),
  },
  {
    additionalProperties: false,
    $id: 'SpeechFrame',
    description:
      'Server speech (after a `tts` control frame), one sentence of the answer; none after a `barge_in`.',
  },
);

export const ErrorFrame = Type.Object(
  {
    type: Type.Literal('error'),
    session_id: Id,
    turn_id: Type.Optional(Type.String()),
    code: Type.String({ description: 'A code of the closed vocabulary (docs/errors.md).' }),
    message: Type.String(),
    retryable: Type.Boolean(),
    field: Type.Optional(
      Type.String({ description: 'The uplink frame field at fault, as a JSON pointer.' }),
    ),
    seq: Type.Optional(Seq),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, $id: 'ErrorFrame' },
);

export const DownlinkFrame = Type.Union(
  [
    PartialFrame,
    VadFrame,
    TranscriptFrame,
    FinalFrame,
    BargeInFrame,
    MetricsFrame,
    SpeechFrame,
    ErrorFrame,
  ],
  { $id: 'DownlinkFrame' },
);
export type DownlinkFrame = Static<typeof DownlinkFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;

const audio = TypeCompiler.Compile(AudioFrame);
const control = TypeCompiler.Compile(ControlFrame);

/** Why an uplink message is refused: the field at fault (a JSON pointer) and what is wrong. */
export interface FrameFault {
  field: string;
  message: string;
  seq?: number;
}

/** An uplink text message as a frame, or the first field that breaks the contract. */
export function parseUplink(text: string): UplinkFrame | FrameFault {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { field: '', message: 'The frame is not JSON.' };
  }
  const record =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const seq = Number.isSafeInteger(record['seq']) ? { seq: record['seq'] as number } : {};
  const checker =
    record['type'] === 'audio' ? audio : record['type'] === 'control' ? control : undefined;
  if (checker === undefined)
    return { field: '/type', message: 'type must be audio or control.', ...seq };
  if (checker.Check(value)) return value;
  const error = [...checker.Errors(value)].sort((a, b) => b.path.length - a.path.length)[0];
  return { field: error?.path ?? '', message: error?.message ?? 'Invalid frame.', ...seq };
}

/** An error frame in the closed vocabulary (docs/errors.md). */
export function errorFrame(
  sessionId: string,
  code: ErrorCode,
  message: string,
  extra: { field?: string; seq?: number; turnId?: string; details?: Record<string, unknown> } = {},
): ErrorFrame {
  return {
    type: 'error',
    session_id: sessionId,
    ...(extra.turnId === undefined ? {} : { turn_id: extra.turnId }),
    code,
    message,
    retryable: ERRORS[code].retryable,
    ...(extra.field === undefined ? {} : { field: extra.field }),
    ...(extra.seq === undefined ? {} : { seq: extra.seq }),
    ...(extra.details === undefined ? {} : { details: extra.details }),
  };
}
