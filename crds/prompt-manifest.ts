/**
 * PromptManifest: a versioned prompt. The spec declares no defaults on purpose: the API server
 * would fill them in and change the canonical JSON that `checksum` covers.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  cel,
  Conditions,
  ObservedGeneration,
  type KindDescriptor,
  type Resource,
} from './common.ts';

export const PROMPT_MANIFEST_CONDITIONS = ['Ready', 'Valid'] as const;

export const MAX_SLICES = 64;

/**
 * semver.org's regular expression (2.0.0) without backslashes (`[.]` for an escaped dot), so it needs no
 * escaping inside a CEL string literal and reads the same in RE2 and ECMAScript.
 */
export const SEMVER =
  '^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)([.](0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?([+]([0-9a-zA-Z-]+([.][0-9a-zA-Z-]+)*))?$';

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
  { additionalProperties: false, description: 'One message template of the prompt.' },
);

export const PromptManifestSpec = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      maxLength: 253,
      description: 'Stable prompt id that clients ask for.',
    }),
    version: Type.String({
      maxLength: 128,
      description:
        'Semantic version (semver 2.0) of this prompt. A breaking change (a removed slice, a removed or narrowed variable) needs a major bump.',
      ...cel({
        rule: `self.matches('${SEMVER}')`,
        message: 'version must be a semantic version such as 1.2.0 (semver 2.0).',
      }),
    }),
    description: Type.Optional(Type.String({ description: 'What the prompt is for.' })),
    slices: Type.Array(PromptSlice, {
      minItems: 1,
      maxItems: MAX_SLICES,
      description: 'Ordered message templates.',
      ...cel({
        rule: 'self.all(s, self.exists_one(t, t.name == s.name))',
        message: 'Slice names must be unique within a manifest.',
      }),
    }),
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
          temperature: Type.Optional(
            Type.Number({ minimum: 0, maximum: 2, description: 'Sampling temperature, 0 to 2.' }),
          ),
          topP: Type.Optional(
            Type.Number({ minimum: 0, maximum: 1, description: 'Nucleus sampling mass, 0 to 1.' }),
          ),
          maxTokens: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Most tokens to generate.' }),
          ),
          model: Type.Optional(Type.String({ description: 'Default model alias.' })),
        },
        { additionalProperties: false, description: 'Default generation parameters.' },
      ),
    ),
    experiment: Type.Optional(
      Type.Object(
        {
          percent: Type.Number({
            minimum: 0.01,
            maximum: 100,
            description:
              'Share of the users, in percent (to 0.01), who get this version when they name no version. The experiments of one prompt id share at most 100.',
          }),
        },
        {
          additionalProperties: false,
          description:
            "An A/B experiment: a request that names no version gets this one for `percent` of its users, chosen by a hash of the prompt id and the user (the request's `user`, else the token's subject), so a user keeps their version; everyone else gets the highest release without an experiment. A request that names a version or range is not part of it.",
        },
      ),
    ),
    checksum: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: 'SHA-256 over the RFC 8785 canonical JSON of the spec without this field.',
    }),
  },
  { additionalProperties: false, description: 'Desired state of the PromptManifest.' },
);

export type PromptManifestSpec = Static<typeof PromptManifestSpec>;
export type PromptSlice = Static<typeof PromptSlice>;

export const PromptManifestStatus = Type.Object(
  {
    conditions: Type.Optional(Conditions(PROMPT_MANIFEST_CONDITIONS)),
    observedGeneration: Type.Optional(ObservedGeneration),
    breakingChange: Type.Optional(
      Type.String({
        description:
          'Set when this version breaks the previous one without a major bump: what was removed or narrowed.',
      }),
    ),
    checksum: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description:
          'Checksum the operator computed from the spec; equals spec.checksum when Valid.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Observed state of the PromptManifest, written by the operator.',
  },
);
export type PromptManifestStatus = Static<typeof PromptManifestStatus>;

export type PromptManifest = Resource<'PromptManifest', PromptManifestSpec, PromptManifestStatus>;

export const promptManifestKind: KindDescriptor<
  typeof PromptManifestSpec,
  typeof PromptManifestStatus
> = {
  kind: 'PromptManifest',
  plural: 'promptmanifests',
  singular: 'promptmanifest',
  shortNames: ['pm', 'prompt'],
  description:
    'PromptManifest is a versioned prompt: ordered message templates, a JSON Schema for their variables, default parameters, and a checksum over its canonical JSON.',
  conditionTypes: PROMPT_MANIFEST_CONDITIONS,
  printerColumns: [
    { name: 'Prompt', type: 'string', jsonPath: '.spec.id', description: 'Prompt id.' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Prompt version.' },
    {
      name: 'Valid',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Valid")].status',
      description: 'Valid condition.',
      priority: 1,
    },
  ],
  spec: PromptManifestSpec,
  status: PromptManifestStatus,
};
