import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { hasScope, requireScope, SCOPES } from './authz.ts';
import type { Principal } from './principal.ts';

const invoker: Principal = { subject: 'u', tenant: 't', scopes: new Set(['inference:invoke']) };
const admin: Principal = { subject: 'a', tenant: 't', scopes: new Set(['admin']) };

describe('scopes', () => {
  it('let a principal through when it holds the scope', () => {
    expect(() => {
      requireScope(invoker, 'inference:invoke');
    }).not.toThrow();
    expect(hasScope(invoker, 'inference:invoke')).toBe(true);
  });

  it('refuse a principal without the scope with FORBIDDEN naming it', () => {
    let thrown: unknown;
    try {
      requireScope(invoker, 'batch:submit');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
      message: 'Token lacks scope batch:submit.',
      details: { scope: 'batch:submit' },
    });
  });

  it.each(SCOPES.filter((scope) => scope !== 'admin'))('do not grant %s to admin', (scope) => {
    expect(hasScope(admin, scope)).toBe(false);
  });
});
