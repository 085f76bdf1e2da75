/** Reading a variables schema's structure without compiling it. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema of the property at `path`, through nested `properties`; undefined when undeclared. */
export function propertySchema(schema: unknown, path: readonly string[]): unknown {
  let node = schema;
  for (const key of path) {
    const properties = isRecord(node) ? node['properties'] : undefined;
    if (!isRecord(properties) || !Object.hasOwn(properties, key)) return undefined;
    node = properties[key];
  }
  return node;
}

/** The `default` declared for the property at `path` (never for the root), if any. */
export function schemaDefault(
  schema: unknown,
  path: readonly string[],
): { value: unknown } | undefined {
  if (path.length === 0) return undefined;
  const node = propertySchema(schema, path);
  return isRecord(node) && Object.hasOwn(node, 'default') ? { value: node['default'] } : undefined;
}

/** Whether the schema requires the property at `path` (required at every level down to it). */
export function requiresPath(schema: unknown, path: readonly string[]): boolean {
  let node = schema;
  for (const key of path) {
    const required = isRecord(node) ? node['required'] : undefined;
    if (!Array.isArray(required) || !required.includes(key)) return false;
    node = propertySchema(node, [key]);
  }
  return path.length > 0;
}
