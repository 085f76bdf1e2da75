import type { PeerCertificate } from 'node:tls';
import { isValidTenant, type Principal } from './principal.ts';

export interface MtlsPrincipalOptions {
  /** The subject attribute that names the tenant. */
  tenantFrom: 'O' | 'OU' | 'CN';
  /** Scopes every certificate-authenticated caller gets. */
  scopes: readonly string[];
}

/**
 * The principal of a service that authenticated with a client certificate. The caller has
 * already checked `socket.authorized` (the chain verified against our CA); this only reads the
 * subject. The principal's subject is the certificate's CN.
 *
 * Returns undefined when there is no certificate (node passes `{}` then), when the CN or the
 * tenant attribute is missing, repeated (node gives an array; which one is meant is ambiguous)
 * or not a valid tenant id.
 */
export function principalFromClientCertificate(
  cert: PeerCertificate | undefined,
  options: MtlsPrincipalOptions,
): Principal | undefined {
  const subject = cert?.subject as Partial<Record<string, unknown>> | undefined;
  if (subject === undefined) return undefined;
  const commonName = subject['CN'];
  const tenant = subject[options.tenantFrom];
  if (typeof commonName !== 'string' || commonName === '' || !isValidTenant(tenant)) {
    return undefined;
  }
  return Object.freeze({ subject: commonName, tenant, scopes: new Set(options.scopes) });
}
