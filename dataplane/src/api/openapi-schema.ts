/**
 * Route schemas as OpenAPI 3.0 can say them (the document is 3.0.3, which SDK generators and
 * Insomnia read). A TypeBox tuple (`items` as a list, `additionalItems: false`), such as the XR
 * frames' `[x, y, z]`, has no 3.0 form: it becomes an array of exactly that many items of the
 * one item schema (or `anyOf` them when they differ). Validation is untouched: fastify checks
 * requests against the route's own schema, not this copy.
 */
export function openapi30(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openapi30);
  if (schema === null || typeof schema !== 'object') return schema;
  const entries = Object.entries(schema).map(([key, value]) => [key, openapi30(value)] as const);
  const object: Record<string, unknown> = Object.fromEntries(entries);
  const items: unknown = object['items'];
  if (!Array.isArray(items)) return object;
  delete object['additionalItems'];
  const distinct = [
    ...new Map(items.map((item: unknown) => [JSON.stringify(item), item])).values(),
  ];
  return {
    ...object,
    items: distinct.length === 1 ? distinct[0] : { anyOf: distinct },
    minItems: items.length,
    maxItems: items.length,
  };
}
