import { describe, expect, it } from 'vitest';
import type { ChecksumInput } from '../checksum.ts';
import { announcesBreakingChanges, checkCompatibility } from './compat.ts';
import { makeSpec, type SpecOverrides } from './fixtures.ts';

type Overrides = SpecOverrides;

const slices = (...texts: string[]): ChecksumInput['slices'] =>
  texts.map((text, i) => ({ name: `s${i}`, role: 'user', text }));

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  variables: { type: 'object', properties, ...extra },
});

/** [case, base overrides, head overrides, expected `kind path` of each change]. */
const cases: [string, Overrides, Overrides, string[]][] = [
  ['an identical manifest', {}, {}, []],
  ['a new optional variable', object({ a: {} }), object({ a: {}, b: { type: 'string' } }), []],
  ['a new slice', { slices: slices('x') }, { slices: slices('x', 'y') }, []],
  [
    'an edited slice text',
    { slices: slices('Hi {{name}}') },
    { slices: slices('Hello {{name}}') },
    [],
  ],
  [
    'a removed slice',
    { slices: slices('x', 'y') },
    { slices: slices('x') },
    ['slice-removed spec.slices.s1'],
  ],
  ['a changed id', {}, { id: 'hello' }, ['id-changed spec.id']],
  [
    'a removed variable',
    object({ a: {}, b: {} }),
    object({ a: {} }),
    ['variable-removed variables.b'],
  ],
  [
    'a newly required variable',
    object({ a: {} }),
    object({ a: {} }, { required: ['a'] }),
    ['variable-required variables.a'],
  ],
  [
    'a required variable made optional',
    object({ a: {} }, { required: ['a'] }),
    object({ a: {} }),
    [],
  ],
  [
    'a narrowed type',
    object({ a: { type: ['string', 'number'] } }),
    object({ a: { type: 'string' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'integer widened to number',
    object({ a: { type: 'integer' } }),
    object({ a: { type: 'number' } }),
    [],
  ],
  [
    'number narrowed to integer',
    object({ a: { type: 'number' } }),
    object({ a: { type: 'integer' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a type given to an untyped variable',
    object({ a: {} }),
    object({ a: { type: 'string' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'an enum that lost a value',
    object({ a: { enum: ['x', 'y'] } }),
    object({ a: { enum: ['x'] } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'an enum that gained a value',
    object({ a: { enum: ['x'] } }),
    object({ a: { enum: ['x', 'y'] } }),
    [],
  ],
  [
    'an enum where there was none',
    object({ a: {} }),
    object({ a: { enum: ['x'] } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a const',
    object({ a: { enum: ['x', 'y'] } }),
    object({ a: { const: 'x' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a lowered maxLength',
    object({ a: { maxLength: 10 } }),
    object({ a: { maxLength: 5 } }),
    ['variable-narrowed variables.a'],
  ],
  ['a raised maxLength', object({ a: { maxLength: 5 } }), object({ a: { maxLength: 10 } }), []],
  [
    'a new minimum',
    object({ a: {} }),
    object({ a: { minimum: 1 } }),
    ['variable-narrowed variables.a'],
  ],
  ['a lowered minimum', object({ a: { minimum: 2 } }), object({ a: { minimum: 1 } }), []],
  [
    'a coarser multipleOf',
    object({ a: { multipleOf: 2 } }),
    object({ a: { multipleOf: 3 } }),
    ['variable-narrowed variables.a'],
  ],
  ['a finer multipleOf', object({ a: { multipleOf: 4 } }), object({ a: { multipleOf: 2 } }), []],
  [
    'a new pattern',
    object({ a: {} }),
    object({ a: { pattern: '^x' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a new format',
    object({ a: {} }),
    object({ a: { format: 'email' } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'unique items',
    object({ a: {} }),
    object({ a: { uniqueItems: true } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a closed object',
    object({ a: {} }),
    object({ a: {} }, { additionalProperties: false }),
    ['variable-narrowed variables'],
  ],
  [
    'narrower undeclared properties',
    object({}, { additionalProperties: { type: ['string', 'number'] } }),
    object({}, { additionalProperties: { type: 'string' } }),
    ['variable-narrowed variables[*]'],
  ],
  [
    'a property that accepts nothing',
    object({ a: {} }),
    object({ a: false }),
    ['variable-narrowed variables.a'],
  ],
  ['a property that accepted nothing', object({ a: false }), object({ a: {} }), []],
  [
    'a narrowed nested variable',
    object({ user: { type: 'object', properties: { name: { type: 'string' } } } }),
    object({ user: { type: 'object', properties: { name: { type: 'string', maxLength: 3 } } } }),
    ['variable-narrowed variables.user.name'],
  ],
  [
    'a removed and a required nested variable',
    object({ user: { type: 'object', properties: { a: {}, b: {} } } }),
    object({ user: { type: 'object', properties: { a: {} }, required: ['a'] } }),
    ['variable-removed variables.user.b', 'variable-required variables.user.a'],
  ],
  [
    'narrowed array items',
    object({ tags: { type: 'array', items: { type: 'string' } } }),
    object({ tags: { type: 'array', items: { type: 'string', maxLength: 8 } } }),
    ['variable-narrowed variables.tags[]'],
  ],
  [
    'a changed anyOf, which cannot be judged',
    object({ a: { anyOf: [{ type: 'string' }] } }),
    object({ a: { anyOf: [{ type: 'string' }, { type: 'number' }] } }),
    ['variable-narrowed variables.a'],
  ],
  [
    'a root that now says it is an object',
    { variables: undefined },
    { variables: { type: 'object' } },
    [],
  ],
  [
    'a schema where there was none',
    { variables: undefined },
    { variables: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    ['variable-required variables.name'],
  ],
  ['a schema removed', {}, { variables: undefined }, []],
  [
    'a template that now uses a variable',
    { slices: slices('Hi'), variables: undefined },
    { slices: slices('Hi {{user.name}}'), variables: undefined },
    ['variable-required variables.user.name'],
  ],
  [
    'a template that now uses a variable with a default',
    { slices: slices('Hi'), ...object({ tone: {} }) },
    { slices: slices('Hi {{tone}}'), ...object({ tone: { default: 'warm' } }) },
    [],
  ],
  [
    'a template that now uses a variable the schema already required',
    { slices: slices('Hi'), ...object({ name: {} }, { required: ['name'] }) },
    { slices: slices('Hi {{name}}'), ...object({ name: {} }, { required: ['name'] }) },
    [],
  ],
  [
    'a template that now uses every variable',
    { slices: slices('Hi'), variables: undefined },
    { slices: slices('Hi {{.}}'), variables: undefined },
    [],
  ],
];

describe('checkCompatibility', () => {
  it.each(cases)('reports %s', (_, base, head, expected) => {
    const report = checkCompatibility(makeSpec(base), makeSpec(head));
    expect(report.changes.map((change) => `${change.kind} ${change.path}`)).toEqual(expected);
    expect(report.ok).toBe(expected.length === 0);
    expect(report.majorBump).toBe(false);
  });

  it('accepts breaking changes that come with a major version bump', () => {
    const report = checkCompatibility(
      makeSpec({ version: '1.4.0', ...object({ a: {}, b: {} }) }),
      makeSpec({ version: '2.0.0', ...object({ a: {} }) }),
    );
    expect(report).toMatchObject({ majorBump: true, ok: true });
    expect(report.changes).toHaveLength(1);
  });

  it('writes messages a reviewer can act on', () => {
    const report = checkCompatibility(
      makeSpec({ slices: slices('x', 'y'), ...object({ a: { maxLength: 9 } }) }),
      makeSpec({ slices: slices('x'), ...object({ a: { maxLength: 3 } }, { required: ['a'] }) }),
    );
    expect(report.changes.map((change) => change.message)).toEqual([
      'slice s1 was removed',
      'variables.a lowered maxLength to 3 from 9',
      'variables.a is now required',
    ]);
  });
});

describe('announcesBreakingChanges', () => {
  it.each([
    ['1.4.0', '2.0.0', true],
    ['1.4.0', '1.5.0', false],
    ['1.4.0', '1.4.1', false],
    ['1.4.0', '2.0.0-rc.1', true],
    ['1.4.0', '1.5.0-rc.1', false],
    ['0.3.1', '0.4.0', true],
    ['0.3.1', '0.3.2', false],
    ['0.0.3', '0.0.4', true],
    ['2.0.0', '1.0.0', false],
    ['1.0.0', '1.0.0', false],
  ])('from %s to %s: %s', (base, head, expected) => {
    expect(announcesBreakingChanges(base, head)).toBe(expected);
  });
});
