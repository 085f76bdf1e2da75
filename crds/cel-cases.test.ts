import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { celCases } from './cel-cases.ts';
import { readSample } from './sample-files.ts';

describe.each(celCases.map((c) => [c.kind.kind, c.title, c] as const))(
  'the invalid %s case "%s"',
  (_kind, _title, celCase) => {
    const sample = readSample(celCase.kind).spec;
    const invalid = celCase.invalid(sample);

    it('passes the plain schema, so only its CEL rule can refuse it', () => {
      expect([...Value.Errors(celCase.kind.spec, invalid)]).toEqual([]);
    });

    it('differs from the sample, which it leaves untouched', () => {
      expect(invalid).not.toEqual(sample);
      expect(readSample(celCase.kind).spec).toEqual(sample);
    });
  },
);
