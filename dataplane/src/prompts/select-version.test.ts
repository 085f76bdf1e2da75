import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { selectVersion } from './select-version.ts';

const versions = ['1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1'].map((version) => ({ version }));

describe('selectVersion', () => {
  it.each([
    ['nothing asked', undefined, '1.10.0'],
    ['an exact version', '1.2.0', '1.2.0'],
    ['an exact version with a v', 'v1.2.0', '1.2.0'],
    ['an exact prerelease', '2.0.0-rc.1', '2.0.0-rc.1'],
    ['a caret range', '^1.2', '1.10.0'],
    ['a tilde range', '~1.2', '1.2.0'],
    ['a partial version, which is a range', '1.0', '1.0.0'],
    ['an x-range', '1.x', '1.10.0'],
    ['a star', '*', '1.10.0'],
    ['a range that names a prerelease', '>=2.0.0-rc.0', '2.0.0-rc.1'],
    ['a missing version', '1.5.0', undefined],
    ['a range nothing satisfies', '^3', undefined],
  ])('given %s, picks %s', (_, requested, expected) => {
    expect(selectVersion(versions, requested)?.version).toBe(expected);
  });

  it('picks the highest prerelease when a prompt has nothing else', () => {
    const pre = ['0.1.0-alpha', '0.1.0-beta'].map((version) => ({ version }));
    expect(selectVersion(pre, undefined)?.version).toBe('0.1.0-beta');
  });

  it('finds nothing among no versions', () => {
    expect(selectVersion<{ version: string }>([], undefined)).toBeUndefined();
  });

  it('refuses a request longer than 256 characters as BAD_REQUEST', () => {
    expect(() => selectVersion(versions, `>=1.0.0 ${' '.repeat(300)}`)).toThrow(
      'Prompt version is longer than 256 characters.',
    );
  });

  it('refuses a request that is neither a version nor a range as BAD_REQUEST', () => {
    const attempt = (): unknown => selectVersion(versions, 'latest!');
    expect(attempt).toThrow(ApiError);
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', details: { path: 'version' } }),
    );
  });
});
