/**
 * Reading and comparing the certificates of the gateway's TLS Secrets (controllers/
 * certificates.ts): a certificate with its key, a PEM bundle, and the moments of a
 * certificate's life that the rotation policy counts from.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Issuer } from './x509.ts';

/** A certificate, its key, and both as PEM. */
export interface Pair {
  cert: X509Certificate;
  key: KeyObject;
  pem: string;
  keyPem: string;
}

/** A certificate and its key, when both parse, match, and the certificate has not expired. */
export function pairOf(
  certPem: string | undefined,
  keyPem: string | undefined,
  nowMs: number,
  ca: boolean,
): Pair | undefined {
  if (certPem === undefined || keyPem === undefined || certPem === '') return undefined;
  try {
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key) || cert.ca !== ca || to(cert) <= nowMs) return undefined;
    return { cert, key, pem: cert.toString(), keyPem };
  } catch {
    return undefined;
  }
}

export function toPair(pem: string, key: KeyObject): Pair {
  return {
    cert: new X509Certificate(pem),
    key,
    pem,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function issuerOf(ca: Pair): Issuer {
  return {
    key: ca.key,
    commonName: ca.cert.subject.replace(/^CN=/, ''),
    publicKey: createPublicKey(ca.key),
  };
}

export function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

export function bundleOf(text: string | undefined): X509Certificate[] {
  const blocks = text?.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

export function uniqueCerts(certs: X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => !seen.has(cert.fingerprint256) && seen.add(cert.fingerprint256));
}

/** node's `subjectaltname` text for these names, as it prints a certificate's. */
export function sanText(dns: readonly string[], uris: readonly string[]): string {
  return [...uris.map((uri) => `URI:${uri}`), ...dns.map((name) => `DNS:${name}`)].join(', ');
}

export const from = (cert: X509Certificate): number => cert.validFromDate.getTime();
/**
 * The latest a CA can have been published: its notBefore is the moment it was issued, cut to
 * the second by X.509's time format, so up to a second earlier than the publication. Counting
 * P from notBefore would let a CA sign up to a second before P has passed.
 */
export const published = (cert: X509Certificate): number => from(cert) + 1000;
export const to = (cert: X509Certificate): number => cert.validToDate.getTime();
export const subject = (pair: Pair): string => pair.cert.subject.replace(/^CN=/, '');
/** Two thirds into the certificate's lifetime. */
const TWO_THIRDS = 2 / 3;
export const renewAt = (cert: X509Certificate): number =>
  from(cert) + (to(cert) - from(cert)) * TWO_THIRDS;
