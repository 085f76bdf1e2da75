import { describe, expect, it } from 'vitest';
import { compileDetached, createAjv } from './ajv.ts';
import { describeViolation, formatPath } from './schema-error.ts';

const ajv = createAjv();

function violationOf(schema: Record<string, unknown>, data: unknown) {
  const validate = compileDetached(ajv, schema);
  expect(validate(data)).toBe(false);
  return describeViolation(validate.errors ?? [], 'variables', data);
}

describe('describeViolation', () => {
  it.each([
    [
      'a missing required property by its own path',
      { type: 'object', required: ['user'], properties: { user: { type: 'object' } } },
      {},
      { path: 'variables.user', message: 'is required' },
    ],
    [
      'a nested missing property',
      {
        type: 'object',
        properties: { user: { type: 'object', required: ['name'] } },
      },
      { user: {} },
      { path: 'variables.user.name', message: 'is required' },
    ],
    [
      'a property a closed object does not allow',
      { type: 'object', additionalProperties: false },
      { extra: 1 },
      { path: 'variables.extra', message: 'is not an allowed field' },
    ],
    [
      'a wrong type with what it got',
      { type: 'object', properties: { n: { type: 'integer' } } },
      { n: 'x' },
      { path: 'variables.n', message: 'must be an integer (got string)' },
    ],
    [
      'a number where a string was meant, with the YAML quoting hint',
      { type: 'object', properties: { v: { type: 'string' } } },
      { v: 1 },
      { path: 'variables.v', message: 'must be a string (got number 1; quote it in YAML)' },
    ],
    [
      'a union of types',
      { type: 'object', properties: { v: { type: ['string', 'number'] } } },
      { v: null },
      { path: 'variables.v', message: 'must be a string or a number (got null)' },
    ],
    [
      'an enum with its values',
      { type: 'object', properties: { tier: { enum: ['free', 'pro'] } } },
      { tier: 'gold' },
      { path: 'variables.tier', message: 'must be one of: "free", "pro"' },
    ],
    [
      'a const',
      { type: 'object', properties: { kind: { const: 'a' } } },
      { kind: 'b' },
      { path: 'variables.kind', message: 'must be "a"' },
    ],
    [
      'a union of literals as one list',
      { type: 'object', properties: { role: { anyOf: [{ const: 'system' }, { const: 'user' }] } } },
      { role: 'tool' },
      { path: 'variables.role', message: 'must be one of: "system", "user"' },
    ],
    [
      'a union of shapes',
      {
        type: 'object',
        properties: { v: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
      },
      { v: [] },
      { path: 'variables.v', message: 'does not match any allowed shape (oneOf)' },
    ],
    [
      "another keyword by ajv's own words",
      { type: 'object', properties: { items: { type: 'array', maxItems: 1 } } },
      { items: [1, 2] },
      { path: 'variables.items', message: 'must NOT have more than 1 items' },
    ],
    [
      'an array element by its index and an odd key by a quoted name',
      { type: 'object', properties: { 'a/b c': { type: 'array', items: { type: 'string' } } } },
      { 'a/b c': ['x', 2] },
      {
        path: 'variables["a/b c"][1]',
        message: 'must be a string (got number 2; quote it in YAML)',
      },
    ],
  ])('describes %s', (_, schema, data, expected) => {
    expect(violationOf(schema, data)).toEqual(expected);
  });

  it('falls back to the root when ajv reported nothing', () => {
    expect(describeViolation([], 'spec', {})).toEqual({ path: 'spec', message: 'is invalid' });
  });
});

describe('formatPath', () => {
  it('joins names with dots, indices with brackets and odd keys as quoted strings', () => {
    expect(formatPath('spec', ['slices', '0', 'my key'])).toBe('spec.slices[0]["my key"]');
  });

  it('starts without a dot when the root is empty', () => {
    expect(formatPath('', ['user', 'name'])).toBe('user.name');
  });
});
