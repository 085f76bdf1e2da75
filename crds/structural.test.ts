import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { IntOrString, StringEnum, Struct } from './common.ts';
import { toStructural } from './structural.ts';

describe('toStructural', () => {
  it('lowers a union of string literals to a typed enum, keeping its options', () => {
    const schema = StringEnum(['a', 'b'], { default: 'a', description: 'Pick one.' });
    expect(toStructural(schema)).toEqual({
      description: 'Pick one.',
      type: 'string',
      enum: ['a', 'b'],
      default: 'a',
    });
  });

  it('lowers a single literal to a one-value enum', () => {
    expect(toStructural(Type.Literal(3))).toEqual({ type: 'number', enum: [3] });
  });

  it('writes int-or-string untyped with both branches, lifting their bounds', () => {
    const schema = IntOrString({ pattern: '^[0-9]+$', minimum: 0, description: 'Count.' });
    expect(toStructural(schema)).toEqual({
      description: 'Count.',
      minimum: 0,
      maxLength: 64,
      pattern: '^[0-9]+$',
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
  });

  it('drops additionalProperties: false (the API server prunes) and TypeBox bookkeeping', () => {
    const schema = Struct({ a: Type.Optional(Type.String()) }, { $id: 'Thing' });
    expect(toStructural(schema)).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });

  it('turns an open object into one that preserves unknown fields', () => {
    expect(toStructural(Type.Object({}, { additionalProperties: true }))).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('keeps a typed map as additionalProperties', () => {
    const schema = Type.Object({}, { additionalProperties: Type.Integer() });
    expect(toStructural(schema)['additionalProperties']).toEqual({ type: 'integer' });
  });

  it('writes exclusive bounds the OpenAPI v3.0 way', () => {
    expect(toStructural(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }))).toEqual({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 1,
      exclusiveMaximum: true,
    });
  });

  it('orders keywords: description and type first, CEL last', () => {
    const schema = Type.Array(Type.String(), {
      'x-kubernetes-validations': [{ rule: 'size(self) > 0', message: 'm' }],
      maxItems: 3,
      description: 'd',
    });
    expect(Object.keys(toStructural(schema))).toEqual([
      'description',
      'type',
      'maxItems',
      'items',
      'x-kubernetes-validations',
    ]);
  });

  it.each([
    ['a union of different types', Type.Union([Type.String(), Type.Number()]), 'only unions'],
    ['a union of literals of two types', Type.Union([Type.Literal('a'), Type.Literal(1)]), 'only'],
    ['a record', Type.Record(Type.String(), Type.String()), 'patternProperties'],
    ['uniqueItems', Type.Array(Type.String(), { uniqueItems: true }), 'uniqueItems'],
    ['an untyped schema', Type.Unknown(), 'needs a type'],
    ['a $ref', Type.Object({ a: Type.Ref('Thing') }), 'needs a type'],
    ['an array without items', { type: 'array' }, 'one items schema'],
    [
      'an int-or-string without its two branches',
      Type.Union([Type.String()], { 'x-kubernetes-int-or-string': true }),
      'int-or-string needs',
    ],
  ])('refuses %s, naming the path', (_, schema, message) => {
    expect(() => toStructural(schema, 'spec')).toThrow(message);
  });

  it('names the nested path of what it refuses', () => {
    const schema = Type.Object({ items: Type.Array(Type.Object({ x: Type.Any() })) });
    expect(() => toStructural(schema, 'spec')).toThrow('spec.items[].x: every schema needs a type');
  });
});
