import { Type, type Static } from '@sinclair/typebox';

export const PromptSlice = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      description: 'Slice name, unique in the manifest.',
    }),
    role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')], {
      description: 'Chat role the slice is sent as.',
    }),
    text: Type.String({
      minLength: 1,
      description: 'Template text; `{{name}}` is replaced by the variable `name`.',
    }),
  },
  { additionalProperties: false },
);

export const PromptManifestSpec = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      maxLength: 253,
      description: 'Stable prompt id that clients ask for.',
    }),
    version: Type.String({ description: 'Semantic version (semver 2.0) of this prompt.' }),
    description: Type.Optional(Type.String({ description: 'What the prompt is for.' })),
    slices: Type.Array(PromptSlice, { minItems: 1, description: 'Ordered message templates.' }),
    variables: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'JSON Schema (draft 2020-12 subset) the variables must satisfy.',
        },
      ),
    ),
    parameters: Type.Optional(
      Type.Object(
        {
          temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
          topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
          model: Type.Optional(Type.String({ description: 'Default model alias.' })),
        },
        { additionalProperties: false, description: 'Default generation parameters.' },
      ),
    ),
    checksum: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: 'SHA-256 over the RFC 8785 canonical JSON of the spec without this field.',
    }),
  },
  { additionalProperties: false },
);

export type PromptManifestSpec = Static<typeof PromptManifestSpec>;
export type PromptSlice = Static<typeof PromptSlice>;
