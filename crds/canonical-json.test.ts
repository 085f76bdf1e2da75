import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';

// The input and output of RFC 8785 §3.2.2, written as JSON text so the parser sees the RFC's bytes.
const rfcInput = String.raw`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`;
const rfcOutput = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;

// The property-sorting example of RFC 8785 §3.2.3.
const rfcSortingInput = String.raw`{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`;

describe('canonicalJson (RFC 8785)', () => {
  it('reproduces the RFC 8785 example byte for byte', () => {
    expect(canonicalJson(JSON.parse(rfcInput))).toBe(rfcOutput);
  });

  it('sorts keys by UTF-16 code units, so an astral emoji sorts before U+FB33', () => {
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(JSON.parse(rfcSortingInput))).toBe(expected);
  });

  it('writes numbers as ECMAScript does, with -0 as 0', () => {
    expect(canonicalJson([1e21, 1e-7, 123.456, -0, 100, 0.1])).toBe(
      '[1e+21,1e-7,123.456,0,100,0.1]',
    );
  });

  it('omits undefined properties and writes undefined array slots as null', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });

  it('nests objects and arrays without whitespace', () => {
    expect(canonicalJson({ z: { y: [{ b: 1, a: 2 }] }, a: 'x' })).toBe(
      '{"a":"x","z":{"y":[{"a":2,"b":1}]}}',
    );
  });

  it('refuses values that have no JSON form', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});
