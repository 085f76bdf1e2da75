import { Type, type Static } from '@sinclair/typebox';
import { ResponseFormatParam, SeedParam } from '../response-format.ts';
import { ChoiceLogprobs } from './logprobs.ts';

const TextPart = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { additionalProperties: true },
);

/** An image input: an https URL or a `data:image/...;base64,` URL (up to about 15 MB). */
const ImagePart = Type.Object(
  {
    type: Type.Literal('image_url'),
    image_url: Type.Object(
      {
        url: Type.String({
          minLength: 1,
          maxLength: 20_000_000,
          pattern: '^(https?://|data:image/)',
        }),
        detail: Type.Optional(
          Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')]),
        ),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/** A function name as OpenAI accepts it. */
const FunctionName = Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' });

/** A tool call an assistant made, as clients send it back in the conversation. */
const ToolCallParam = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    type: Type.Literal('function'),
    function: Type.Object(
      { name: FunctionName, arguments: Type.String({ maxLength: 1_000_000 }) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/**
 * A chat message as OpenAI clients send it; content may be a string, or text and image parts
 * (images: user messages only). Assistant messages may carry `tool_calls`, tool messages
 * answer one with `tool_call_id`.
 */
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
      Type.Array(Type.Union([TextPart, ImagePart]), { maxItems: 256 }),
      Type.Null(),
    ]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    tool_calls: Type.Optional(Type.Array(ToolCallParam, { maxItems: 128 })),
    tool_call_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: true },
);

/**
 * `POST /v1/chat/completions`. Unknown fields are accepted (clients send many); the ones we
 * read are validated, and the ones we cannot honour (those of unhonoured.ts with a value that
 * asks for something) are refused, never ignored. `n` (up to 8) makes as many answers.
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
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 8 }), Type.Null()])),
    seed: Type.Optional(Type.Union([SeedParam, Type.Null()])),
    response_format: Type.Optional(Type.Union([ResponseFormatParam, Type.Null()])),
    logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    /** Only with `logprobs: true` (a BAD_REQUEST otherwise, as OpenAI answers). */
    top_logprobs: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 20 }), Type.Null()]),
    ),
    tools: Type.Optional(
      Type.Array(
        Type.Object(
          {
            type: Type.Literal('function'),
            function: Type.Object(
              {
                name: FunctionName,
                description: Type.Optional(Type.String({ maxLength: 100_000 })),
                parameters: Type.Optional(Type.Object({}, { additionalProperties: true })),
              },
              { additionalProperties: true },
            ),
          },
          { additionalProperties: true },
        ),
        { maxItems: 128 },
      ),
    ),
    tool_choice: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('auto'),
        Type.Literal('required'),
        Type.Object(
          {
            type: Type.Literal('function'),
            function: Type.Object({ name: FunctionName }, { additionalProperties: true }),
          },
          { additionalProperties: true },
        ),
      ]),
    ),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
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
        content: Type.Union([Type.String(), Type.Null()]),
        refusal: Type.Null(),
        tool_calls: Type.Optional(
          Type.Array(
            Type.Object({
              id: Type.String(),
              type: Type.Literal('function'),
              function: Type.Object({ name: Type.String(), arguments: Type.String() }),
            }),
          ),
        ),
      }),
      finish_reason: Type.String(),
      logprobs: Type.Union([ChoiceLogprobs, Type.Null()]),
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

/**
 * `POST /v1/embeddings`. The official clients ask for `encoding_format: base64` unless told
 * otherwise (little-endian float32, base64), so both formats are served. Token-array inputs
 * are refused: routes name models by alias, whose tokenizers the gateway does not know.
 */
export const EmbeddingsRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union([
      Type.String({ maxLength: 1_000_000 }),
      Type.Array(Type.String({ maxLength: 1_000_000 }), { minItems: 1, maxItems: 2048 }),
    ]),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    user: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>;

export const EmbeddingsResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      object: Type.Literal('embedding'),
      index: Type.Integer(),
      embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
    }),
  ),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
});
