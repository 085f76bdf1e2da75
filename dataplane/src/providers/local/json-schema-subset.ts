/**
 * The JSON Schema keywords node-llama-cpp's grammar converter enforces (its GbnfJsonSchema),
 * and the annotations that constrain nothing. Its converter ignores any other keyword
 * (`pattern`, `minimum`, `anyOf`...): an answer would then satisfy the grammar and not the
 * schema, so a schema with one is refused before it reaches the converter.
 */
const ENFORCED = new Set([
  'type',
  'const',
  'enum',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'format',
  '$ref',
  '$defs',
]);
const ANNOTATIONS = new Set([
  'description',
  'title',
  '$schema',
  '$id',
  '$comment',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
const FORMATS = new Set(['date-time', 'time', 'date']);
const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * The first thing in a schema the grammar cannot enforce, as `<JSON pointer>: <reason>`, or
 * undefined when it can enforce all of it.
 */
export function unenforceable(schema: unknown, pointer = ''): string | undefined {
  if (typeof schema === 'boolean') return schema ? undefined : `${pointer || '/'}: false schema`;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return `${pointer || '/'}: not a schema object`;
  }
  const entries = Object.entries(schema as Record<string, unknown>);
  for (const [keyword, value] of entries) {
    const at = `${pointer}/${keyword}`;
    if (ANNOTATIONS.has(keyword)) continue;
    if (!ENFORCED.has(keyword)) return `${at}: keyword ${keyword} is not enforced`;
    if (keyword === 'format' && !FORMATS.has(String(value))) {
      return `${at}: format ${String(value)} is not one of ${[...FORMATS].join(', ')}`;
    }
    if (
      keyword === 'type' &&
      Array.isArray(value) &&
      !value.every((type) => SCALARS.has(String(type)))
    ) {
      return `${at}: a list of types may hold only ${[...SCALARS].join(', ')}`;
    }
    const nested = subschemas(keyword, value).map(([path, sub]) =>
      unenforceable(sub, `${at}${path}`),
    );
    const found = nested.find((reason) => reason !== undefined);
    if (found !== undefined) return found;
  }
  return undefined;
}

function subschemas(keyword: string, value: unknown): [string, unknown][] {
  switch (keyword) {
    case 'properties':
    case '$defs':
      return Object.entries(value as Record<string, unknown>).map(([key, sub]) => [`/${key}`, sub]);
    case 'oneOf':
    case 'prefixItems':
      return (value as unknown[]).map((sub, index) => [`/${index}`, sub]);
    case 'items':
      return [['', value]];
    case 'additionalProperties':
      return typeof value === 'boolean' ? [] : [['', value]];
    default:
      return [];
  }
}
