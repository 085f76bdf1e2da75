import { Ajv2020, type AnySchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

/** The API server's schema extensions; ajv treats them as annotations (CEL is not evaluated). */
const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
];

/**
 * An ajv instance for JSON Schema draft 2020-12 with the standard formats. Unknown keywords are
 * errors (a typo such as `require` fails instead of silently validating nothing); `default` is
 * never written into the data, and types are never coerced. `kubernetes` admits the API
 * server's `x-kubernetes-*` keywords, for the CRD schemas. @default false
 */
export function createAjv(options: { kubernetes?: boolean } = {}): Ajv2020 {
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
  if (options.kubernetes === true) {
    for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword });
  }
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
