import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { ApiError } from '../errors/api-error.ts';
import type { AuthnFailure } from './authn-errors.ts';
import { clientIdentity } from './client-identity.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Certificates a client's chain may hold above its leaf; longer chains are refused. */
const MAX_CHAIN = 8;

/** What a client certificate proved: the identity it names (client-identity.ts). */
export interface ClientCertificate {
  readonly identity: string;
  /** When the certificate stops being accepted, epoch ms. */
  readonly notAfterMs: number;
}

/**
 * The client certificate a TLS socket presented, verified; undefined when it presented none.
 *
 * The handshake verified the chain against the CA bundle it ran with (`socket.authorized`),
 * but a connection outlives a rotation: so the chain is also verified here against
 * `authorities`, the bundle served now. A certificate whose CA left the bundle is refused on
 * the next request of an open connection, not only on new ones.
 *
 * @param handshakeCurrent whether the handshake ran with the bundle served now; if so its
 *   verdict must agree too (OpenSSL checks more than this does: policies, name constraints).
 * @throws ApiError `UNAUTHENTICATED` with `details.reason` `client_certificate_untrusted`,
 *   `client_certificate_expired` or `client_identity_missing`.
 */
export function verifyClientCertificate(
  socket: TLSSocket,
  authorities: readonly X509Certificate[],
  handshakeCurrent: boolean,
  nowMs: number,
): ClientCertificate | undefined {
  // Node gives `{}` when the client sent no certificate, whatever the types say.
  const peer: PeerLink = socket.getPeerCertificate(true);
  if (peer.raw === undefined) return undefined;
  const leaf = new X509Certificate(peer.raw);
  checkDates(leaf, nowMs);
  if (handshakeCurrent && !socket.authorized) {
    const reason = String(socket.authorizationError);
    if (reason === 'CERT_HAS_EXPIRED') throw refusal('client_certificate_expired', 'expired');
    throw refusal('client_certificate_untrusted', 'is not signed by a trusted CA');
  }
  // Undefined when the certificate names no extended key usage (any use then).
  const usages = leaf.keyUsage as string[] | undefined;
  if (usages !== undefined && !usages.includes(CLIENT_AUTH))
    throw refusal('client_certificate_untrusted', 'is not for client authentication');
  if (!chainsTo(peer, leaf, authorities, nowMs))
    throw refusal('client_certificate_untrusted', 'is not signed by a trusted CA');
  const identity = clientIdentity(socket.getPeerCertificate());
  if (identity === undefined) throw refusal('client_identity_missing', 'names no identity');
  return Object.freeze({ identity, notAfterMs: leaf.validToDate.getTime() });
}

/** Whether the certificate is still within its validity, checked on every request. */
export function checkStillValid(certificate: ClientCertificate, nowMs: number): void {
  if (certificate.notAfterMs <= nowMs) throw refusal('client_certificate_expired', 'expired');
}

/** Walks the chain the client sent up to a certificate that one of `authorities` issued. */
function chainsTo(
  peer: PeerLink,
  leaf: X509Certificate,
  authorities: readonly X509Certificate[],
  nowMs: number,
): boolean {
  let current = leaf;
  let link: PeerLink = peer;
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (authorities.some((ca) => current.checkIssued(ca) && current.verify(ca.publicKey)))
      return true;
    const next: PeerLink | undefined = link.issuerCertificate;
    // A self-signed certificate is its own issuer: the chain the client sent ends there.
    if (next === undefined || next === link || next.raw === undefined) return false;
    const issuer = new X509Certificate(next.raw);
    if (!issuer.ca || !current.checkIssued(issuer) || !current.verify(issuer.publicKey))
      return false;
    checkDates(issuer, nowMs);
    current = issuer;
    link = next;
  }
  return false;
}

/** A certificate of the chain node hands out, where any field may be missing. */
type PeerLink = Partial<Omit<DetailedPeerCertificate, 'issuerCertificate'>> & {
  issuerCertificate?: PeerLink;
};

function checkDates(certificate: X509Certificate, nowMs: number): void {
  if (certificate.validToDate.getTime() <= nowMs)
    throw refusal('client_certificate_expired', 'expired');
  if (certificate.validFromDate.getTime() > nowMs)
    throw refusal('client_certificate_untrusted', 'is not valid yet');
}

function refusal(reason: AuthnFailure, what: string): ApiError {
  return new ApiError('UNAUTHENTICATED', `Client certificate ${what}.`, { details: { reason } });
}
