/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Contract: the output is the unique JCS text of `value`. Object keys are sorted by their
 * UTF-16 code units (JavaScript's default string order), numbers are serialised as ECMAScript's
 * `Number.prototype.toString` does (which is what JCS specifies), and strings use JSON's minimal
 * escaping. Properties whose value is `undefined` are omitted, as `JSON.stringify` omits them.
 * Values that have no JSON form (non-finite numbers, bigints, functions, symbols, lone
 * `undefined`) throw a `TypeError` rather than producing a checksum of something else.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`JCS cannot encode the number ${value}`);
      // JSON.stringify applies Number::toString and maps -0 to 0, exactly as RFC 8785 §3.2.2.3.
      return JSON.stringify(value);
    case 'string':
      // Well-formed JSON.stringify escapes only what RFC 8785 §3.2.2.2 requires.
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value);
    default:
      throw new TypeError(`JCS cannot encode a value of type ${typeof value}`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  // JSON.stringify writes `null` for undefined array slots; JCS follows JSON here.
  return `[${items.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
}

function canonicalObject(object: object): string {
  const entries = Object.entries(object).filter(([, item]) => item !== undefined);
  // The default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 requires.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}
