/**
 * A connection the egress guard refused, as the error its socket fails with, and that error in
 * the closed vocabulary: `UPSTREAM_UNAVAILABLE` with `details.reason = 'egress_denied'`. SDKs
 * and HTTP clients wrap socket errors (fetch's `TypeError: fetch failed`, an SDK's connection
 * error), so the refusal is found along the `cause` chain.
 */
import { ApiError } from '../errors/api-error.ts';
import type { DenialReason } from './egress-policy.ts';

export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';
  readonly host: string;
  readonly port: number | undefined;
  readonly reason: DenialReason;
  readonly airGapped: boolean;

  constructor(denial: {
    host: string;
    port?: number | undefined;
    reason: DenialReason;
    airGapped: boolean;
  }) {
    const where = denial.port === undefined ? denial.host : `${denial.host}:${denial.port}`;
    super(`Egress to ${where} is not allowed (${denial.reason}).`);
    this.name = 'EgressDeniedError';
    this.host = denial.host;
    this.port = denial.port;
    this.reason = denial.reason;
    this.airGapped = denial.airGapped;
  }
}

/** The guard's refusal somewhere along `error`'s causes, or undefined. */
export function findEgressDenial(error: unknown): EgressDeniedError | undefined {
  let current = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    if (current instanceof EgressDeniedError) return current;
    if (current instanceof AggregateError) {
      const inner = (current.errors as unknown[]).find((e) => findEgressDenial(e) !== undefined);
      if (inner !== undefined) return findEgressDenial(inner);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for the error `withEgressReason` makes: the router never retries it. */
export function isEgressDenied(error: ApiError): boolean {
  return error.code === 'UPSTREAM_UNAVAILABLE' && error.details?.['reason'] === 'egress_denied';
}

/**
 * A provider failure caused by the guard, as `UPSTREAM_UNAVAILABLE` naming the host (the
 * config's own target, never a secret) and the mode that refused it; any other error as it is.
 */
export function withEgressReason(error: ApiError): ApiError {
  if (isEgressDenied(error)) return error;
  const denial = findEgressDenial(error);
  if (denial === undefined) return error;
  return new ApiError('UPSTREAM_UNAVAILABLE', denial.message, {
    details: {
      ...error.details,
      reason: 'egress_denied',
      host: denial.host,
      policy: denial.airGapped ? 'air-gapped' : 'allow-list',
    },
    cause: error,
  });
}
