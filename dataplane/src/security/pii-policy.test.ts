import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { applyPiiPolicy, findPii, policyFor } from './pii.ts';

const text = 'Mail a@b.io from 192.0.2.1 with key AKIAIOSFODNN7EXAMPLE.';

describe('the per-kind PII policy', () => {
  it('takes a kind apart from the default', () => {
    expect(policyFor({ default: 'redact', kinds: { ipv4: 'off' } }, 'ipv4')).toBe('off');
    expect(policyFor({ default: 'redact', kinds: { ipv4: 'off' } }, 'email')).toBe('redact');
    expect(policyFor('block', 'email')).toBe('block');
  });

  it('redacts the redact kinds and leaves the off kinds', () => {
    const policies = { default: 'redact', kinds: { ipv4: 'off' } } as const;
    expect(applyPiiPolicy(text, policies)).toBe(
      'Mail [REDACTED:email] from 192.0.2.1 with key [REDACTED:api_key].',
    );
  });

  it('blocks when a block kind is present, naming only the blocked kinds', () => {
    const policies = { default: 'redact', kinds: { api_key: 'block' } } as const;
    let thrown: unknown;
    try {
      applyPiiPolicy(text, policies);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).details).toEqual({ kinds: ['api_key'] });
    expect((thrown as ApiError).message).not.toContain('AKIA');
  });

  it('lets text through when only off kinds are found', () => {
    expect(applyPiiPolicy(text, { default: 'off', kinds: { cpf: 'block' } })).toBe(text);
  });
});

describe('phone regions', () => {
  it('finds national numbers of the configured regions only', () => {
    const us = '(201) 555-0123';
    expect(findPii(us)).toEqual([]);
    expect(findPii(us, { phoneRegions: ['US'] }).map((match) => match.kind)).toEqual(['phone']);
  });

  it('finds international numbers whatever the regions', () => {
    expect(findPii('+81 3-1234-5678', { phoneRegions: ['US'] }).map((m) => m.kind)).toEqual([
      'phone',
    ]);
  });
});
