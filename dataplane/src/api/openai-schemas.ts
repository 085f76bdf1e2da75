import { Type, type Static } from '@sinclair/typebox';

const TextPart = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { additionalProperties: true },
);

/** A chat message as OpenAI clients send it; content may be a string or text parts. */
export const OpenAIMessage = Type.Object(
  {
    role: Type.Union([
      Type.Literal('system'),
      Type.Literal('developer'),
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('tool'),
    ]),
    content: Type.Union([
      Type.String({ maxLength: 1_000_000 }),
      Type.Array(TextPart, { maxItems: 256 }),
      Type.Null(),
    ]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: true },
);

/**
 * `POST /v1/chat/completions`. Unknown fields are accepted (clients send many); the ones we
 * read are validated, and the ones we cannot honour (`n` > 1) are refused, never ignored.
 */
export const ChatCompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    messages: Type.Array(OpenAIMessage, { minItems: 1, maxItems: 1024 }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(
      Type.Union([
        Type.Object(
          { include_usage: Type.Optional(Type.Boolean()) },
          { additionalProperties: true },
        ),
        Type.Null(),
      ]),
    ),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_tokens: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
    ),
    max_completion_tokens: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
    ),
    stop: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 256 }),
        Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 4 }),
        Type.Null(),
      ]),
    ),
    n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()])),
    user: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

const OpenAIUsage = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
  prompt_tokens_details: Type.Object({ cached_tokens: Type.Integer() }),
});

export const ChatCompletion = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer(),
  model: Type.String(),
  choices: Type.Array(
    Type.Object({
      index: Type.Integer(),
      message: Type.Object({
        role: Type.Literal('assistant'),
        content: Type.String(),
        refusal: Type.Null(),
      }),
      finish_reason: Type.String(),
      logprobs: Type.Null(),
    }),
  ),
  usage: OpenAIUsage,
});

export const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      object: Type.Literal('model'),
      created: Type.Integer(),
      owned_by: Type.String(),
    }),
  ),
});
