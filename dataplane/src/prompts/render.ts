import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { PromptManifestSpec, PromptSlice } from '../../../crds/prompt-manifest.ts';
import type { ChatMessage } from '../core/types.ts';
import { ApiError } from '../errors/api-error.ts';
import { compileDetached, createAjv } from '../../../crds/prompts/ajv.ts';
import { describeViolation, formatPath } from '../../../crds/prompts/schema-error.ts';
import { schemaDefault } from '../../../crds/prompts/schema-walk.ts';
import { parseTemplate } from '../../../crds/prompts/template.ts';

/** The default generation parameters a manifest declares. */
export type PromptParameters = NonNullable<PromptManifestSpec['parameters']>;

/** A placeholder, resolved against the variables schema once. */
export interface Hole {
  readonly path: readonly string[];
  /** `variables.user.name`: the field a client fixes, in errors. */
  readonly label: string;
  /** The schema's `default` for the leaf property, used when the variable is absent. */
  readonly fallback: { readonly value: unknown } | undefined;
}

/** A slice's template, split at its placeholders: `texts.length === holes.length + 1`. */
export interface CompiledSlice {
  readonly role: PromptSlice['role'];
  readonly texts: readonly string[];
  readonly holes: readonly Hole[];
}

/** A manifest compiled once (templates split, variables validator generated) for `render`. */
export interface CompiledPrompt {
  readonly id: string;
  readonly version: string;
  readonly checksum: string;
  /** The manifest's default parameters; `{}` when it declares none. */
  readonly parameters: Readonly<PromptParameters>;
  /** The manifest itself (frozen when it came from `parsePromptManifest`). */
  readonly spec: PromptManifestSpec;
  readonly slices: readonly CompiledSlice[];
  readonly validate: ValidateFunction | undefined;
}

/** Variables as a request carries them: a JSON object. */
export type PromptVariables = Readonly<Record<string, unknown>>;

const ajv = createAjv();

/**
 * Compiles a manifest: splits its templates and compiles its variables schema. Costs
 * milliseconds (ajv generates code), so callers cache the result; throws ajv's error when the
 * variables schema is invalid, which `parsePromptManifest` has already ruled out.
 */
export function compilePrompt(spec: PromptManifestSpec): CompiledPrompt {
  return {
    id: spec.id,
    version: spec.version,
    checksum: spec.checksum,
    parameters: spec.parameters ?? {},
    spec,
    slices: spec.slices.map((slice) => compileSlice(slice, spec.variables)),
    validate: spec.variables === undefined ? undefined : compileDetached(ajv, spec.variables),
  };
}

/**
 * Renders a compiled prompt into chat messages, one per slice, in order.
 *
 * Contract: the variables are validated against the manifest's schema first; then each
 * placeholder takes its variable (or the schema's `default` for it). A string is inserted as
 * it is; any other value as its JSON text. Values are never read as template syntax.
 * Throws `ApiError('BAD_REQUEST')` with `details.path` (`variables.user.name`) for a schema
 * violation or a missing variable. Never mutates `variables`.
 */
export function render(compiled: CompiledPrompt, variables: PromptVariables = {}): ChatMessage[] {
  const { validate } = compiled;
  if (validate !== undefined && !validate(variables)) {
    const violation = describeViolation(validate.errors ?? [], 'variables', variables);
    throw badVariables(compiled, violation.path, `${violation.path} ${violation.message}`);
  }
  const messages: ChatMessage[] = [];
  for (const slice of compiled.slices) {
    const { texts, holes } = slice;
    let content = texts[0] ?? '';
    for (let i = 0; i < holes.length; i++) {
      const hole = holes[i] as Hole;
      const value = lookup(variables, hole.path);
      content += textOf(compiled, hole, value === undefined ? hole.fallback?.value : value);
      content += texts[i + 1] ?? '';
    }
    messages.push({ role: slice.role, content });
  }
  return messages;
}

function compileSlice(slice: PromptSlice, schema: unknown): CompiledSlice {
  const { texts, paths } = parseTemplate(slice.text);
  return {
    role: slice.role,
    texts,
    holes: paths.map((path) => ({
      path,
      label: formatPath('variables', path),
      fallback: schemaDefault(schema, path),
    })),
  };
}

function textOf(compiled: CompiledPrompt, hole: Hole, value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) {
    throw badVariables(compiled, hole.label, `${hole.label} is required by the prompt`);
  }
  return JSON.stringify(value);
}

/** Own properties only: a template cannot reach the prototype chain. */
function lookup(variables: PromptVariables, path: readonly string[]): unknown {
  let value: unknown = variables;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function badVariables(compiled: CompiledPrompt, path: string, message: string): ApiError {
  return new ApiError('BAD_REQUEST', `${message} (prompt ${compiled.id}@${compiled.version}).`, {
    details: { path },
  });
}
