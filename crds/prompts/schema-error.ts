import type { ErrorObject } from 'ajv/dist/2020.js';

/** Where a value broke its schema and how, in words a person can act on. */
export interface SchemaViolation {
  /** The field, rooted at the caller's name for the data: `spec.slices[0].role`. */
  path: string;
  /** What is wrong, without the path: `must be one of: "system", "user", "assistant"`. */
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Joins path segments as `root.name[0]["odd key"]`; a bare root when there are none. */
export function formatPath(root: string, segments: readonly string[]): string {
  let path = root;
  for (const segment of segments) {
    if (/^(0|[1-9]\d*)$/.test(segment)) path += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/**
 * Describes the violation behind ajv's errors (run with `allErrors: false`). A failed `anyOf`
 * reports each branch first and itself last; the description is the `anyOf`'s, listing the
 * allowed constants when the branches are literals (a TypeBox union of literals).
 */
export function describeViolation(
  errors: readonly ErrorObject[],
  root: string,
  data: unknown,
): SchemaViolation {
  const composite = errors.findLast((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const error = composite ?? errors[0];
  if (error === undefined) return { path: root, message: 'is invalid' };
  const segments = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        path: formatPath(root, [...segments, String(params['missingProperty'])]),
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: formatPath(root, [...segments, String(params['additionalProperty'])]),
        message: 'is not an allowed field',
      };
    case 'type':
      return {
        path: formatPath(root, segments),
        message: mustBeType(String(params['type']), valueAt(data, segments)),
      };
    case 'enum':
      return {
        path: formatPath(root, segments),
        message: `must be one of: ${listOf(params['allowedValues'])}`,
      };
    case 'const':
      return {
        path: formatPath(root, segments),
        message: `must be ${JSON.stringify(params['allowedValue'])}`,
      };
    case 'anyOf':
    case 'oneOf': {
      const constants = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
        .map((e) => (e.params as Record<string, unknown>)['allowedValue']);
      return {
        path: formatPath(root, segments),
        message:
          constants.length > 0
            ? `must be one of: ${listOf(constants)}`
            : `does not match any allowed shape (${error.keyword})`,
      };
    }
    default:
      return { path: formatPath(root, segments), message: error.message ?? 'is invalid' };
  }
}

/** Splits a JSON Pointer (RFC 6901) into unescaped segments. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let value = data;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * `must be a string (got number 1; quote it in YAML)`: YAML reads unquoted `1.0` as a number and
 * `true` as a boolean, the most common reason a manifest's string field fails.
 */
function mustBeType(expected: string, value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const wanted = expected.split(',').map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`));
  const hint =
    expected === 'string' && (kind === 'number' || kind === 'boolean')
      ? ` ${JSON.stringify(value)}; quote it in YAML`
      : '';
  return `must be ${wanted.join(' or ')} (got ${kind}${hint})`;
}

function listOf(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : String(values);
}
