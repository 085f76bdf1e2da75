import { canonicalJson } from '../canonical-json.ts';
import { formatPath } from './schema-error.ts';

/** One way a new schema rejects input that the old one accepted. */
export interface SchemaNarrowing {
  kind: 'variable-removed' | 'variable-required' | 'variable-narrowed';
  /** The variable, as a request names it: `variables.user.name`, `variables.tags[]`. */
  path: string;
  message: string;
}

type Schema = Readonly<Record<string, unknown>>;

const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const EXACT = ['pattern', 'format', 'contentMediaType', 'contentEncoding'];
/** Keywords whose change this comparison cannot judge, so any change to them counts. */
const OPAQUE = [
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  '$ref',
  '$dynamicRef',
  'patternProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'prefixItems',
  'contains',
  'unevaluatedProperties',
  'unevaluatedItems',
];

/**
 * Lists the ways the `head` variables schema is narrower than `base`: a property that is gone,
 * a property that became required, and a property whose values are constrained further (type,
 * enum/const, bounds, pattern, format, closed objects, array items, recursively). An absent
 * schema accepts everything. Conservative: a change to a keyword it cannot reason about
 * (`anyOf`, `$ref`, ...) is reported as a narrowing, so a reviewer decides.
 */
export function findSchemaNarrowings(base: unknown, head: unknown): SchemaNarrowing[] {
  const found: SchemaNarrowing[] = [];
  compare(base, head, 'variables', true, found);
  return found;
}

function compare(
  baseSchema: unknown,
  headSchema: unknown,
  path: string,
  root: boolean,
  found: SchemaNarrowing[],
): void {
  const narrowed = (message: string): void => {
    found.push({ kind: 'variable-narrowed', path, message: `${path} ${message}` });
  };
  // `false` accepts nothing: nothing is narrower, and anything is wider.
  if (baseSchema === false) return;
  if (headSchema === false) {
    narrowed('now accepts no value');
    return;
  }
  const [base, head] = [asSchema(baseSchema), asSchema(headSchema)];
  compareTypes(base, head, root, narrowed);
  compareValues(base, head, narrowed);
  compareBounds(base, head, narrowed);
  for (const keyword of OPAQUE) {
    if (!sameJson(base[keyword], head[keyword])) {
      narrowed(`changed \`${keyword}\`, which this check cannot prove accepts no less`);
    }
  }
  compareObjects(base, head, path, found, narrowed);
  if (head['items'] !== undefined && !sameJson(base['items'], head['items'])) {
    compare(base['items'], head['items'], `${path}[]`, false, found);
  }
}

function compareTypes(
  base: Schema,
  head: Schema,
  root: boolean,
  narrowed: (message: string) => void,
): void {
  const headTypes = typesOf(head);
  if (headTypes === undefined) return;
  // Variables are always an object, so a root that starts saying so narrows nothing.
  if (root && headTypes.size === 1 && headTypes.has('object')) return;
  const baseTypes = typesOf(base);
  const lost =
    baseTypes === undefined
      ? ['any type']
      : [...baseTypes].filter(
          (t) => !headTypes.has(t) && !(t === 'integer' && headTypes.has('number')),
        );
  if (lost.length > 0) narrowed(`no longer accepts ${lost.join(', ')}`);
}

function compareValues(base: Schema, head: Schema, narrowed: (message: string) => void): void {
  const headValues = allowedValues(head);
  if (headValues === undefined) return;
  const baseValues = allowedValues(base);
  if (baseValues === undefined) {
    narrowed('is now limited to a list of values');
    return;
  }
  const kept = new Set(headValues.map((v) => canonicalJson(v)));
  const lost = baseValues.filter((v) => !kept.has(canonicalJson(v)));
  if (lost.length > 0)
    narrowed(`no longer accepts ${lost.map((v) => JSON.stringify(v)).join(', ')}`);
}

function compareBounds(base: Schema, head: Schema, narrowed: (message: string) => void): void {
  for (const keyword of LOWER_BOUNDS) {
    const [was, now] = [base[keyword], head[keyword]];
    if (typeof now === 'number' && (typeof was !== 'number' || now > was)) {
      narrowed(`raised ${keyword} to ${now}${typeof was === 'number' ? ` from ${was}` : ''}`);
    }
  }
  for (const keyword of UPPER_BOUNDS) {
    const [was, now] = [base[keyword], head[keyword]];
    if (typeof now === 'number' && (typeof was !== 'number' || now < was)) {
      narrowed(`lowered ${keyword} to ${now}${typeof was === 'number' ? ` from ${was}` : ''}`);
    }
  }
  const [was, now] = [base['multipleOf'], head['multipleOf']];
  if (typeof now === 'number' && (typeof was !== 'number' || was % now !== 0)) {
    narrowed(`now must be a multiple of ${now}`);
  }
  for (const keyword of EXACT) {
    if (head[keyword] !== undefined && !sameJson(base[keyword], head[keyword])) {
      narrowed(`now requires ${keyword} ${JSON.stringify(head[keyword])}`);
    }
  }
  if (head['uniqueItems'] === true && base['uniqueItems'] !== true)
    narrowed('now requires unique items');
}

function compareObjects(
  base: Schema,
  head: Schema,
  path: string,
  found: SchemaNarrowing[],
  narrowed: (message: string) => void,
): void {
  const baseProperties = propertiesOf(base);
  const headProperties = propertiesOf(head);
  for (const [name, schema] of Object.entries(baseProperties)) {
    const child = formatPath(path, [name]);
    if (!Object.hasOwn(headProperties, name)) {
      found.push({ kind: 'variable-removed', path: child, message: `${child} was removed` });
    } else if (!sameJson(schema, headProperties[name])) {
      compare(schema, headProperties[name], child, false, found);
    }
  }
  const baseRequired = new Set(stringsOf(base['required']));
  for (const name of stringsOf(head['required'])) {
    if (!baseRequired.has(name)) {
      const child = formatPath(path, [name]);
      found.push({ kind: 'variable-required', path: child, message: `${child} is now required` });
    }
  }
  const [was, now] = [base['additionalProperties'], head['additionalProperties']];
  if (now === false && was !== false) narrowed('no longer accepts undeclared properties');
  else if (now !== undefined && now !== false && !sameJson(was, now)) {
    compare(was, now, `${path}[*]`, false, found);
  }
}

/** A schema object; `true`, absent and anything else accept everything, like `{}`. */
function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Schema)
    : {};
}

function typesOf(schema: Schema): Set<string> | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return new Set([type]);
  return Array.isArray(type) ? new Set(stringsOf(type)) : undefined;
}

function allowedValues(schema: Schema): unknown[] | undefined {
  if (Object.hasOwn(schema, 'const')) return [schema['const']];
  return Array.isArray(schema['enum']) ? (schema['enum'] as unknown[]) : undefined;
}

function propertiesOf(schema: Schema): Record<string, unknown> {
  const properties = schema['properties'];
  return typeof properties === 'object' && properties !== null
    ? (properties as Record<string, unknown>)
    : {};
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonicalJson(a) === canonicalJson(b);
}
