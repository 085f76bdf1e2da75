import { errors } from 'jose';
import { ApiError } from '../errors/api-error.ts';

/**
 * Why a request was not authenticated, as `details.reason` of the `UNAUTHENTICATED` error.
 * Stable strings: dashboards and the audit log group by them.
 */
export type AuthnFailure =
  | 'missing_token'
  | 'malformed_token'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'ambiguous_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'invalid_claim'
  | 'missing_tenant'
  | 'invalid_tenant'
  // The client certificate (mTLS, client-certificate.ts): no challenge, it is not a token.
  | 'client_certificate_missing'
  | 'client_certificate_untrusted'
  | 'client_certificate_expired'
  | 'client_identity_missing';

/** The error for `reason`. Messages name the failed check and never echo the token or claims. */
export function authnError(reason: AuthnFailure, message: string): ApiError {
  return new ApiError('UNAUTHENTICATED', message, { details: { reason } });
}

/**
 * Maps a jose verification error to `UNAUTHENTICATED`. The jose error is deliberately not kept
 * as `cause`: it carries the decoded claims, which must not reach logs through an error chain.
 * Anything that is not a jose error (a broken key in our own JWKS, say) is a defect, rethrown.
 */
export function fromJoseError(error: unknown): ApiError {
  if (error instanceof errors.JWTExpired) return authnError('expired', 'Token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) return fromClaimError(error);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return authnError('bad_signature', 'Token signature does not verify.');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return authnError('unknown_key', 'Token is signed by an unknown key (kid).');
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return authnError('ambiguous_key', 'Token names no kid and several keys could verify it.');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return authnError('algorithm_not_allowed', 'Token signing algorithm is not allowed.');
  }
  if (error instanceof errors.JOSEError)
    return authnError('malformed_token', 'Token is malformed.');
  throw error;
}

function fromClaimError(error: InstanceType<typeof errors.JWTClaimValidationFailed>): ApiError {
  // jose names the claim from a fixed list (iss, aud, exp, nbf, iat, sub, typ), never a value.
  const { claim, reason } = error;
  if (reason === 'missing') return authnError('missing_claim', `Token has no ${claim} claim.`);
  if (reason === 'check_failed') {
    if (claim === 'iss') return authnError('wrong_issuer', 'Token issuer is not accepted.');
    if (claim === 'aud') return authnError('wrong_audience', 'Token audience is not accepted.');
    if (claim === 'nbf') return authnError('not_yet_valid', 'Token is not valid yet (nbf).');
  }
  return authnError('invalid_claim', `Token ${claim} claim is invalid.`);
}

/**
 * The `WWW-Authenticate` value for a 401 (RFC 6750 §3): no error code when the request carried
 * no token, `invalid_token` otherwise. For a 403 from `requireScope`, `insufficient_scope` and
 * the scope. Returns undefined for any other error, which needs no challenge.
 *
 * @param realm @default 'inference-service'
 */
export function wwwAuthenticate(error: ApiError, realm = 'inference-service'): string | undefined {
  if (error.code === 'UNAUTHENTICATED') {
    const reason = error.details?.['reason'];
    if (typeof reason === 'string' && reason.startsWith('client_')) return undefined;
    if (reason === 'missing_token') return `Bearer realm="${realm}"`;
    return `Bearer realm="${realm}", error="invalid_token", error_description="${quoteSafe(error.message)}"`;
  }
  if (error.code === 'FORBIDDEN') {
    if (error.details?.['reason'] === 'client_identity_not_allowed') return undefined;
    const scope = error.details?.['scope'];
    const scopePart = typeof scope === 'string' ? `, scope="${quoteSafe(scope)}"` : '';
    return `Bearer realm="${realm}", error="insufficient_scope"${scopePart}`;
  }
  return undefined;
}

/** RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E inside quoted values: no `"` and no `\`. */
const NOT_QUOTABLE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

function quoteSafe(value: string): string {
  return value.replace(NOT_QUOTABLE, '');
}
