import { describe, expect, it } from 'vitest';
import { checkPii, findPii, policyFor } from './pii.ts';

const text = 'Mail a@b.io from 192.0.2.1 with key AKIAIOSFODNN7EXAMPLE.';

describe('the per-kind PII policy', () => {
  it('takes a kind apart from the default', () => {
    expect(policyFor({ default: 'redact', kinds: { ipv4: 'off' } }, 'ipv4')).toBe('off');
    expect(policyFor({ default: 'redact', kinds: { ipv4: 'off' } }, 'email')).toBe('redact');
    expect(policyFor('block', 'email')).toBe('block');
  });

  it('redacts the redact kinds and leaves (and does not count) the off kinds', () => {
    const policies = { default: 'redact', kinds: { ipv4: 'off' } } as const;
    expect(checkPii(text, policies)).toEqual({
      text: 'Mail [REDACTED:email] from 192.0.2.1 with key [REDACTED:api_key].',
      counts: { email: 1, api_key: 1 },
      blocked: [],
    });
  });

  it('reports only the block kinds as blocking, counting the redact kinds beside them', () => {
    const policies = { default: 'redact', kinds: { api_key: 'block' } } as const;
    expect(checkPii(text, policies)).toEqual({
      text,
      counts: { email: 1, ipv4: 1, api_key: 1 },
      blocked: ['api_key'],
    });
  });

  it('lets text through when only off kinds are found', () => {
    expect(checkPii(text, { default: 'off', kinds: { cpf: 'block' } }).text).toBe(text);
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
