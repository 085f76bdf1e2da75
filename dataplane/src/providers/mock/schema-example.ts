/** How deep an example follows nested schemas before it writes `null`. */
const MAX_DEPTH = 8;

/** Strings of the standard formats, the same every time. */
const FORMATTED: Readonly<Record<string, string>> = {
  'date-time': '1970-01-01T00:00:00Z',
  date: '1970-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/**
 * A value of `schema`, the same every time: its `const` or first `enum` value; the first of
 * `anyOf`/`oneOf`; an object with its required properties (all of them when none is
 * required); a string of its format, else `text` (the last user message) cut or padded to its
 * length bounds; a number's `minimum` or 0; `false`; an array of `minItems` examples of its
 * items; `null` for anything else (or past {@link MAX_DEPTH}). Not every schema is satisfied
 * (a `pattern`, a `$ref`): the JSON answer checks (json-answer.ts).
 */
export function exampleOf(schema: unknown, text: string, depth: number): unknown {
  if (depth > MAX_DEPTH || schema === null || typeof schema !== 'object') return null;
  const node = schema as Record<string, unknown>;
  if ('const' in node) return node['const'];
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return node['enum'][0];
  const choice = node['anyOf'] ?? node['oneOf'];
  if (Array.isArray(choice) && choice.length > 0) return exampleOf(choice[0], text, depth + 1);
  const type = Array.isArray(node['type']) ? (node['type'][0] as unknown) : node['type'];
  switch (type) {
    case 'object': {
      const properties = (node['properties'] ?? {}) as Record<string, unknown>;
      const required = Array.isArray(node['required'])
        ? (node['required'] as unknown[]).filter((name): name is string => typeof name === 'string')
        : Object.keys(properties);
      return Object.fromEntries(
        required.map((name) => [name, exampleOf(properties[name], text, depth + 1)]),
      );
    }
    case 'string':
      return stringOf(node, text);
    case 'integer':
    case 'number':
      return typeof node['minimum'] === 'number' ? node['minimum'] : 0;
    case 'boolean':
      return false;
    case 'array': {
      const count = typeof node['minItems'] === 'number' ? node['minItems'] : 0;
      return Array.from({ length: count }, () => exampleOf(node['items'], text, depth + 1));
    }
    default:
      return null;
  }
}

function stringOf(node: Record<string, unknown>, text: string): string {
  const format = typeof node['format'] === 'string' ? FORMATTED[node['format']] : undefined;
  if (format !== undefined) return format;
  const min = typeof node['minLength'] === 'number' ? node['minLength'] : 0;
  const max = typeof node['maxLength'] === 'number' ? node['maxLength'] : Infinity;
  return text.padEnd(min, '.').slice(0, max);
}
