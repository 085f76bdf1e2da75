/**
 * Lowers a TypeBox schema to a Kubernetes structural schema (apiextensions.k8s.io/v1
 * JSONSchemaProps). Contract: the result is plain JSON; every node has a `type` unless it is
 * int-or-string or preserves unknown fields; it holds no `$ref`, no `const`, no unions other than
 * int-or-string's, and only keywords the API server accepts. Anything else throws, naming the
 * path, so an unsupported schema fails `make gen` instead of the API server.
 */

/** A JSON Schema node as plain JSON. */
export type JsonSchema = { [keyword: string]: unknown };

/** Keywords in the order they are written; only these survive. */
const KEYWORDS = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'nullable',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'anyOf',
  'properties',
  'additionalProperties',
  'items',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const;

/** Keywords dropped silently: identity and TypeBox bookkeeping with no meaning to Kubernetes. */
const DROPPED = ['$id', '$schema', 'title', 'examples'];

export function toStructural(schema: unknown, path = ''): JsonSchema {
  // A JSON round trip drops TypeBox's symbol-keyed metadata ([Kind], [OptionalKind], ...).
  return lower(JSON.parse(JSON.stringify(schema)) as JsonSchema, path || '<root>');
}

function lower(input: JsonSchema, path: string): JsonSchema {
  const node = omit(input, DROPPED);

  if (node['x-kubernetes-int-or-string'] === true) return ordered(intOrString(node, path), path);
  if ('anyOf' in node || 'oneOf' in node) return ordered(literalUnion(node, path), path);
  if ('const' in node) {
    node['enum'] = [node['const']];
    delete node['const'];
  }
  exclusiveBounds(node);

  if (node['type'] === 'object') lowerObject(node, path);
  if (node['type'] === 'array') {
    if (!isSchema(node['items'])) throw new Error(`${path}: an array needs one items schema`);
    node['items'] = lower(node['items'], `${path}[]`);
  }
  if (!('type' in node) && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`${path}: every schema needs a type`);
  }
  return ordered(node, path);
}

function lowerObject(node: JsonSchema, path: string): void {
  const properties = node['properties'];
  // An object with no declared fields (an open one) needs no empty `properties: {}`.
  if (isSchema(properties) && Object.keys(properties).length === 0) {
    delete node['properties'];
  } else if (isSchema(properties)) {
    node['properties'] = Object.fromEntries(
      Object.entries(properties).map(([name, child]) => [
        name,
        lower(child as JsonSchema, `${path}.${name}`),
      ]),
    );
  }
  const additional = node['additionalProperties'];
  // The API server prunes unknown fields; `false` beside properties is refused by it.
  if (additional === false) delete node['additionalProperties'];
  if (additional === true) {
    delete node['additionalProperties'];
    node['x-kubernetes-preserve-unknown-fields'] = true;
  }
  if (isSchema(additional)) node['additionalProperties'] = lower(additional, `${path}.*`);
  if ('patternProperties' in node) {
    throw new Error(`${path}: patternProperties is not structural; use additionalProperties`);
  }
}

/** A union of string (or number) literals becomes one typed enum. */
function literalUnion(node: JsonSchema, path: string): JsonSchema {
  const members = (node['anyOf'] ?? node['oneOf']) as JsonSchema[];
  const types = new Set(members.map((member) => member['type']));
  const literal = members.every((member) => 'const' in member);
  const [type] = types;
  if (!literal || types.size !== 1) {
    throw new Error(
      `${path}: only unions of literals of one type, or int-or-string, are structural`,
    );
  }
  const result = omit(node, ['anyOf', 'oneOf']);
  return { ...result, type, enum: members.map((member) => member['const']) };
}

/** Kubernetes' int-or-string: untyped, the two branches listed, their bounds lifted up. */
function intOrString(node: JsonSchema, path: string): JsonSchema {
  const members = (node['anyOf'] ?? []) as JsonSchema[];
  const integer = members.find((member) => member['type'] === 'integer');
  const string = members.find((member) => member['type'] === 'string');
  if (!integer || !string || members.length !== 2) {
    throw new Error(`${path}: int-or-string needs exactly an integer and a string branch`);
  }
  // JSON Schema applies string keywords only to strings and numeric ones only to numbers, so
  // both sets can sit beside each other on the untyped node.
  const lifted = pick(string, ['pattern', 'minLength', 'maxLength']);
  Object.assign(lifted, pick(integer, ['minimum', 'maximum']));
  return { ...omit(node, ['anyOf']), ...lifted, anyOf: [{ type: 'integer' }, { type: 'string' }] };
}

/** JSON Schema 2020-12 writes exclusive bounds as numbers; OpenAPI v3.0 as booleans. */
function exclusiveBounds(node: JsonSchema): void {
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const value = node[exclusive];
    if (typeof value === 'number') {
      node[bound] = value;
      node[exclusive] = true;
    }
  }
}

function ordered(node: JsonSchema, path: string): JsonSchema {
  const unknown = Object.keys(node).filter((key) => !(KEYWORDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new Error(`${path}: keywords not allowed in a CRD schema: ${unknown.join(', ')}`);
  }
  const result: JsonSchema = {};
  for (const key of KEYWORDS) if (key in node) result[key] = node[key];
  return result;
}

function omit(node: JsonSchema, keys: readonly string[]): JsonSchema {
  return Object.fromEntries(Object.entries(node).filter(([key]) => !keys.includes(key)));
}

function pick(node: JsonSchema, keys: readonly string[]): JsonSchema {
  return Object.fromEntries(keys.filter((key) => key in node).map((key) => [key, node[key]]));
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
