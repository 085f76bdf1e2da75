import { Type, type Static } from '@sinclair/typebox';
import { ResponseFormatParam, SeedParam } from '../formats/response-format.ts';

const Role = Type.Union([
  Type.Literal('system'),
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('tool'),
]);

export const Message = Type.Object(
  {
    role: Role,
    content: Type.String({ maxLength: 1_000_000 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const Parameters = Type.Object(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    stop: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 4 })),
    seed: Type.Optional(SeedParam),
    response_format: Type.Optional(ResponseFormatParam),
  },
  { additionalProperties: false },
);

export const InferenceRequest = Type.Object(
  {
    model: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'A model alias.' }),
    ),
    prompt: Type.Optional(
      Type.Object(
        {
          id: Type.String({ minLength: 1, maxLength: 253 }),
          version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: false },
      ),
    ),
    messages: Type.Optional(Type.Array(Message, { maxItems: 1024 })),
    parameters: Type.Optional(Parameters),
  },
  { additionalProperties: false },
);
export type InferenceRequest = Static<typeof InferenceRequest>;

export const Usage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
});

export const FinishReason = Type.Union(
  ['stop', 'length', 'content_filter', 'tool_calls', 'error'].map((reason) => Type.Literal(reason)),
);

export const InferenceResponse = Type.Object({
  id: Type.String(),
  model: Type.String(),
  output: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }),
  finish_reason: FinishReason,
  usage: Usage,
});

export const ResumeRequest = Type.Object(
  {
    resume_token: Type.String({ minLength: 1, maxLength: 1024 }),
    poll_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 60_000,
        description:
          "Long-poll: the response ends this many ms after it began (or at the stream's end), with a last `resume` event whose `reason` is `poll`; for a client behind a proxy that holds a response until it ends.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    type: Type.String({ description: "OpenAI's error type for the status." }),
    param: Type.Union([Type.String(), Type.Null()], {
      description: 'The request field at fault, as OpenAI names it, or null.',
    }),
    retryable: Type.Boolean(),
    request_id: Type.Optional(Type.String()),
    trace_id: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

/** The error responses every authenticated JSON route declares. */
export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  422: ErrorResponse,
  429: ErrorResponse,
  500: ErrorResponse,
  502: ErrorResponse,
  503: ErrorResponse,
  504: ErrorResponse,
};

export const RequestIdHeader = Type.Object({
  'x-request-id': Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' }),
});

/**
 * A 200 that is an SSE stream, described event by event (docs/streaming.md): `data` carries a
 * JSON object whose fields depend on `event`.
 */
export const EventStream = {
  description: 'Server-Sent Events: resume, data, heartbeat, done, error.',
  content: {
    'text/event-stream': {
      schema: Type.Object({
        event: Type.Union(
          ['resume', 'data', 'heartbeat', 'done', 'error'].map((name) => Type.Literal(name)),
        ),
        id: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
        data: Type.String({ description: 'A JSON object.' }),
      }),
    },
  },
};
