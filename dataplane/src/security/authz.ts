import { ApiError } from '../errors/api-error.ts';
import type { Principal } from './principal.ts';

/**
 * Every scope a route can require. No scope implies another: `admin` grants the admin routes
 * only, and a token that should also invoke models carries `inference:invoke` as well.
 */
export const SCOPES = [
  'inference:invoke',
  'inference:stream',
  'batch:submit',
  'batch:admin',
  'usage:read',
  'audit:read',
  'audit:admin',
  'mcp:invoke',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope);
}

/** @throws ApiError `FORBIDDEN` with `details.scope` when the principal lacks `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) {
    throw new ApiError('FORBIDDEN', `Token lacks scope ${scope}.`, { details: { scope } });
  }
}
