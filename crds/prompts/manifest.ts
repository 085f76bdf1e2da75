import semver from 'semver';
import { parseAllDocuments } from 'yaml';
import { promptChecksum } from '../checksum.ts';
import { PromptManifestSpec } from '../prompt-manifest.ts';
import { compileDetached, createAjv } from './ajv.ts';
import { describeViolation } from './schema-error.ts';
import { isRecord } from './schema-walk.ts';
import { placeholderPaths } from './template.ts';

export const PROMPT_MANIFEST_API_VERSION = 'inference.enis.io/v1alpha1';
export const PROMPT_MANIFEST_KIND = 'PromptManifest';

/** A PromptManifest file that cannot be served; the message names the file and the field. */
export class ManifestError extends Error {
  /** The file (or other source) the manifest came from. */
  readonly source: string;
  /** The offending field (`spec.slices[0].role`), when one field is to blame. */
  readonly path: string | undefined;

  constructor(source: string, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(`${source}: ${options.path === undefined ? '' : `${options.path} `}${message}`, {
      cause: options.cause,
    });
    this.name = 'ManifestError';
    this.source = source;
    this.path = options.path;
  }
}

export interface ParseManifestOptions {
  /** Refuse a manifest whose `spec.checksum` does not match its content. @default true */
  verifyChecksum?: boolean;
}

const ajv = createAjv();
// The CEL rules of the CRD schema (semver, unique slice names) are checked by `checkSemantics`.
const validateSpec = compileDetached<PromptManifestSpec>(
  createAjv({ kubernetes: true }),
  PromptManifestSpec,
);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses one PromptManifest file (a Kubernetes object in YAML or JSON) into its spec.
 *
 * Refuses, with a `ManifestError` naming the file and the field: anything but exactly one YAML
 * document; a wrong `apiVersion` or `kind`; a missing or invalid `metadata.name`; a spec that
 * breaks the schema; a `version` that is not a canonical semver 2.0 version (`1.2.0`, not
 * `v1.2`); two slices with one name; a variables schema that ajv cannot compile; a placeholder
 * that a closed variables schema (`additionalProperties: false`) can never supply; and a
 * `checksum` that does not match the spec. The spec returned is deeply frozen.
 */
export function parsePromptManifest(
  text: string,
  source: string,
  options: ParseManifestOptions = {},
): PromptManifestSpec {
  const object = parseManifestObject(text, source);
  const spec = object['spec'];
  if (!validateSpec(spec)) {
    const violation = describeViolation(validateSpec.errors ?? [], 'spec', spec);
    throw new ManifestError(source, violation.message, { path: violation.path });
  }
  checkSemantics(spec, source);
  if (options.verifyChecksum ?? true) {
    const computed = promptChecksum(spec);
    if (computed !== spec.checksum) {
      throw new ManifestError(
        source,
        `does not match the spec: expected ${computed} (computed), actual ${spec.checksum} ` +
          '(declared); run `node scripts/prompts.ts checksum --write` on the file',
        { path: 'spec.checksum' },
      );
    }
  }
  return deepFreeze(spec);
}

/**
 * Reads the Kubernetes object in a PromptManifest file and checks its envelope (`apiVersion`,
 * `kind`, `metadata.name`), not its spec: for tools that must handle a spec with a stale or
 * missing checksum.
 */
export function parseManifestObject(text: string, source: string): Record<string, unknown> {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents) || documents.length !== 1) {
    const count = Array.isArray(documents) ? documents.length : 0;
    throw new ManifestError(source, `holds ${count} YAML documents; a manifest file holds one`);
  }
  const [document] = documents;
  const problem = document?.errors[0];
  if (document === undefined || problem !== undefined) {
    throw new ManifestError(source, `is not valid YAML: ${problem?.message ?? 'empty'}`);
  }
  const object: unknown = document.toJS();
  if (!isRecord(object)) throw new ManifestError(source, 'must be a YAML mapping (an object)');
  expectField(object, 'apiVersion', PROMPT_MANIFEST_API_VERSION, source);
  expectField(object, 'kind', PROMPT_MANIFEST_KIND, source);
  const metadata = object['metadata'];
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new ManifestError(source, 'must be a DNS subdomain name (lowercase, digits, -, .)', {
      path: 'metadata.name',
    });
  }
  if (!isRecord(object['spec'])) throw new ManifestError(source, 'is required', { path: 'spec' });
  return object;
}

function expectField(
  object: Record<string, unknown>,
  field: string,
  expected: string,
  source: string,
): void {
  if (object[field] !== expected) {
    const actual = object[field] === undefined ? 'nothing' : JSON.stringify(object[field]);
    throw new ManifestError(source, `must be ${JSON.stringify(expected)}, not ${actual}`, {
      path: field,
    });
  }
}

/** The rules a JSON Schema cannot state for the spec. */
function checkSemantics(spec: PromptManifestSpec, source: string): void {
  if (semver.valid(spec.version) !== spec.version) {
    throw new ManifestError(
      source,
      `must be a semver 2.0 version such as 1.2.0, not ${JSON.stringify(spec.version)}`,
      { path: 'spec.version' },
    );
  }
  const names = new Set<string>();
  spec.slices.forEach((slice, index) => {
    if (names.has(slice.name)) {
      throw new ManifestError(source, `repeats the slice name ${JSON.stringify(slice.name)}`, {
        path: `spec.slices[${index}].name`,
      });
    }
    names.add(slice.name);
  });
  const variables: Record<string, unknown> | undefined = spec.variables;
  if (variables === undefined) return;
  if (variables['type'] !== undefined && variables['type'] !== 'object') {
    throw new ManifestError(source, 'must be "object": variables are always an object', {
      path: 'spec.variables.type',
    });
  }
  try {
    compileDetached(ajv, variables);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ManifestError(source, `is not a valid JSON Schema: ${reason}`, {
      path: 'spec.variables',
      cause: error,
    });
  }
  const properties = variables['properties'];
  if (variables['additionalProperties'] !== false || !isRecord(properties)) return;
  for (const path of placeholderPaths(spec.slices.map((slice) => slice.text))) {
    const top = path.split('.')[0] ?? path;
    if (path !== '.' && !Object.hasOwn(properties, top)) {
      throw new ManifestError(
        source,
        `uses {{${path}}}, which the variables schema does not allow (additionalProperties: false)`,
        { path: 'spec.slices' },
      );
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
