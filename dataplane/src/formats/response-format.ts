import { Type } from '@sinclair/typebox';

/**
 * OpenAI's `response_format`, the shape the OpenAI surface and the native API both take: free
 * text, any JSON object, or JSON valid against a schema. Each target enforces it or refuses it
 * by name (docs/api-compat.md); none answers free text in its place.
 */
export const ResponseFormatParam = Type.Union([
  Type.Object({ type: Type.Literal('text') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('json_object') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('json_schema'),
      json_schema: Type.Object(
        {
          name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
          description: Type.Optional(Type.String({ maxLength: 10_000 })),
          schema: Type.Object({}, { additionalProperties: true }),
          strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);
/** A sampling seed: OpenAI's is a 64-bit integer; ours stays within JSON's exact integers. */
export const SeedParam = Type.Integer({
  minimum: Number.MIN_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
});
