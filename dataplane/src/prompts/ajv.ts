import { Ajv2020, type AnySchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

/**
 * An ajv instance for JSON Schema draft 2020-12 with the standard formats. Unknown keywords are
 * errors (a typo such as `require` fails instead of silently validating nothing); `default` is
 * never written into the data, and types are never coerced.
 */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    useDefaults: false,
    coerceTypes: false,
  });
  formats.default(ajv);
  return ajv;
}

/**
 * Compiles a schema and drops it from ajv's cache, so that an instance shared by every
 * configuration snapshot does not keep old snapshots' schemas alive (ajv caches by object
 * identity) and two manifests may reuse one `$id`. Throws ajv's error for an invalid schema.
 */
export function compileDetached<T = unknown>(
  ajv: Ajv2020,
  schema: AnySchemaObject,
): ValidateFunction<T> {
  try {
    return ajv.compile<T>(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}
