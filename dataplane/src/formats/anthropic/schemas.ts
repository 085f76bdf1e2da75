import { Type, type Static } from '@sinclair/typebox';

const Text = Type.Object(
  { type: Type.Literal('text'), text: Type.String({ maxLength: 1_000_000 }) },
  { additionalProperties: true },
);

/** An image block: base64 data of a type Anthropic takes, or a URL. */
const Image = Type.Object(
  {
    type: Type.Literal('image'),
    source: Type.Union([
      Type.Object(
        {
          type: Type.Literal('base64'),
          media_type: Type.Union(
            ['image/jpeg', 'image/png', 'image/gif', 'image/webp'].map((media) =>
              Type.Literal(media),
            ),
          ),
          data: Type.String({ minLength: 1, maxLength: 20_000_000 }),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('url'),
          url: Type.String({ minLength: 1, maxLength: 8192, pattern: '^https?://' }),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: true },
);

const ToolName = Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' });

const ToolUse = Type.Object(
  {
    type: Type.Literal('tool_use'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    name: ToolName,
    input: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: true },
);

const ToolResult = Type.Object(
  {
    type: Type.Literal('tool_result'),
    tool_use_id: Type.String({ minLength: 1, maxLength: 256 }),
    content: Type.Optional(
      Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Array(Text, { maxItems: 256 })]),
    ),
    is_error: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const AnthropicMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Union([
      Type.String({ maxLength: 1_000_000 }),
      Type.Array(Type.Union([Text, Image, ToolUse, ToolResult]), { maxItems: 256 }),
    ]),
  },
  { additionalProperties: false },
);
export type AnthropicMessage = Static<typeof AnthropicMessage>;

/**
 * `POST /v1/messages`, Anthropic's Messages API. The fields it names are taken and honoured;
 * any other field (`top_k`, `thinking`, `container`, ...) is a BAD_REQUEST naming it, never
 * ignored. `metadata.user_id` is the end user, passed on as the providers take it.
 */
export const MessagesRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    max_tokens: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    messages: Type.Array(AnthropicMessage, { minItems: 1, maxItems: 1024 }),
    system: Type.Optional(
      Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Array(Text, { maxItems: 64 })]),
    ),
    stop_sequences: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 4 }),
    ),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    tools: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: ToolName,
            description: Type.Optional(Type.String({ maxLength: 100_000 })),
            input_schema: Type.Object({}, { additionalProperties: true }),
          },
          { additionalProperties: true },
        ),
        { maxItems: 128 },
      ),
    ),
    tool_choice: Type.Optional(
      Type.Union([
        Type.Object(
          {
            type: Type.Union([Type.Literal('auto'), Type.Literal('any'), Type.Literal('none')]),
            disable_parallel_tool_use: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            type: Type.Literal('tool'),
            name: ToolName,
            disable_parallel_tool_use: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    metadata: Type.Optional(
      Type.Object(
        { user_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type MessagesRequest = Static<typeof MessagesRequest>;

const Usage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cache_read_input_tokens: Type.Integer(),
  cache_creation_input_tokens: Type.Integer(),
});

/** A whole answer, as the Messages API returns it. */
export const MessageResponse = Type.Object({
  id: Type.String(),
  type: Type.Literal('message'),
  role: Type.Literal('assistant'),
  model: Type.String(),
  content: Type.Array(
    Type.Union([
      Type.Object({ type: Type.Literal('text'), text: Type.String() }),
      Type.Object({
        type: Type.Literal('tool_use'),
        id: Type.String(),
        name: Type.String(),
        input: Type.Record(Type.String(), Type.Unknown()),
      }),
    ]),
  ),
  stop_reason: Type.Union(
    ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal'].map((reason) =>
      Type.Literal(reason),
    ),
  ),
  stop_sequence: Type.Null(),
  usage: Usage,
});
