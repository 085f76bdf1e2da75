import { Type, type Static } from '@sinclair/typebox';
import { SeedParam } from '../response-format.ts';

const Name = Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' });

const InputText = Type.Object(
  {
    type: Type.Union([Type.Literal('input_text'), Type.Literal('output_text')]),
    text: Type.String({ maxLength: 1_000_000 }),
  },
  { additionalProperties: true },
);

const InputImage = Type.Object(
  {
    type: Type.Literal('input_image'),
    image_url: Type.String({
      minLength: 1,
      maxLength: 20_000_000,
      pattern: '^(https?://|data:image/)',
    }),
    detail: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')]),
    ),
  },
  { additionalProperties: true },
);

const Message = Type.Object(
  {
    type: Type.Optional(Type.Literal('message')),
    role: Type.Union(
      ['user', 'assistant', 'system', 'developer'].map((role) => Type.Literal(role)),
    ),
    content: Type.Union([
      Type.String({ maxLength: 1_000_000 }),
      Type.Array(Type.Union([InputText, InputImage]), { maxItems: 256 }),
    ]),
  },
  { additionalProperties: true },
);

const FunctionCall = Type.Object(
  {
    type: Type.Literal('function_call'),
    call_id: Type.String({ minLength: 1, maxLength: 256 }),
    name: Name,
    arguments: Type.String({ maxLength: 1_000_000 }),
  },
  { additionalProperties: true },
);

const FunctionCallOutput = Type.Object(
  {
    type: Type.Literal('function_call_output'),
    call_id: Type.String({ minLength: 1, maxLength: 256 }),
    output: Type.String({ maxLength: 1_000_000 }),
  },
  { additionalProperties: true },
);

export const InputItem = Type.Union([Message, FunctionCall, FunctionCallOutput]);
export type InputItem = Static<typeof InputItem>;

/** `text.format`: the Responses API's spelling of a response format. */
const TextFormat = Type.Union([
  Type.Object({ type: Type.Literal('text') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('json_object') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('json_schema'),
      name: Name,
      description: Type.Optional(Type.String({ maxLength: 10_000 })),
      schema: Type.Object({}, { additionalProperties: true }),
      strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    },
    { additionalProperties: false },
  ),
]);

/**
 * `POST /v1/responses`, OpenAI's Responses API, stateless: the conversation comes whole in
 * `input` each time. The fields it names are honoured; `store: true` and
 * `previous_response_id` (server-side state) and any field not named here are a BAD_REQUEST
 * naming the field, never ignored. `metadata` is echoed and not passed on; `user` is passed on.
 */
export const ResponsesRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union([
      Type.String({ minLength: 1, maxLength: 1_000_000 }),
      Type.Array(InputItem, { minItems: 1, maxItems: 1024 }),
    ]),
    instructions: Type.Optional(Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_output_tokens: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
    ),
    seed: Type.Optional(Type.Union([SeedParam, Type.Null()])),
    text: Type.Optional(
      Type.Object({ format: Type.Optional(TextFormat) }, { additionalProperties: false }),
    ),
    tools: Type.Optional(
      Type.Array(
        Type.Object(
          {
            type: Type.Literal('function'),
            name: Name,
            description: Type.Optional(
              Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()]),
            ),
            parameters: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
            strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
          },
          { additionalProperties: false },
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
          { type: Type.Literal('function'), name: Name },
          { additionalProperties: false },
        ),
      ]),
    ),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Literal(false), Type.Null()])),
    metadata: Type.Optional(
      Type.Union([Type.Record(Type.String(), Type.String({ maxLength: 512 })), Type.Null()]),
    ),
    user: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type ResponsesRequest = Static<typeof ResponsesRequest>;

/** A response object as the Responses API returns it (its items are described in the docs). */
export const ResponseObject = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('response'),
    created_at: Type.Integer(),
    status: Type.String(),
    model: Type.String(),
    output: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    usage: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  },
  { additionalProperties: true },
);
