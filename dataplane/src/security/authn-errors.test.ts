import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { authnError, fromJoseError, wwwAuthenticate } from './authn-errors.ts';

describe('the WWW-Authenticate challenge', () => {
  it.each([
    [
      'a missing token',
      authnError('missing_token', 'Authorization header is missing.'),
      'Bearer realm="inference-service"',
    ],
    [
      'an invalid token',
      authnError('expired', 'Token has "expired".'),
      'Bearer realm="inference-service", error="invalid_token", error_description="Token has expired."',
    ],
    [
      'a missing scope',
      new ApiError('FORBIDDEN', 'Token lacks scope admin.', { details: { scope: 'admin' } }),
      'Bearer realm="inference-service", error="insufficient_scope", scope="admin"',
    ],
    [
      'a FORBIDDEN without a scope',
      new ApiError('FORBIDDEN', 'No.'),
      'Bearer realm="inference-service", error="insufficient_scope"',
    ],
    ['any other error', new ApiError('BAD_REQUEST', 'Bad.'), undefined],
  ])('for %s is %j', (_, error, challenge) => {
    expect(wwwAuthenticate(error)).toBe(challenge);
  });
});

describe('an error that is not from jose', () => {
  it('is rethrown as a defect, not turned into a 401', () => {
    const defect = new RangeError('broken key');
    expect(() => fromJoseError(defect)).toThrow(defect);
  });
});
