/**
 * Certificates for tests: a CA, and leaves it signs, with the SANs, validity and key usages a
 * test needs, built by the operator's own builder (operator/src/pki/x509.ts, node:crypto
 * only). Nothing here is checked in: every test makes its own chain.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { buildCertificate, type Issuer, type KeyUsage } from '../../operator/src/pki/x509.ts';

export interface Issued {
  /** PEM of the certificate. */
  cert: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
  /** What a certificate it issues needs (CAs only). */
  signer: Issuer;
  /** Upper-case hex, as node's `getPeerCertificate().serialNumber` gives it. */
  serial: string;
}

export interface CertificateRequest {
  commonName: string;
  /** `spiffe://…` URIs and DNS names. */
  uris?: string[];
  dns?: string[];
  /** @default one hour ago */
  notBefore?: Date;
  /** @default a day after notBefore */
  notAfter?: Date;
  /** @default ['serverAuth', 'clientAuth'] */
  usages?: KeyUsage[];
}

/** A self-signed CA. */
export function createCa(commonName: string, validity: Partial<CertificateRequest> = {}): Issued {
  return build({ ...validity, commonName }, undefined);
}

/** A leaf certificate signed by `ca`. */
export function issue(ca: Issued, request: CertificateRequest): Issued {
  return build(request, ca.signer);
}

function build(request: CertificateRequest, issuer: Issuer | undefined): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const self: Issuer = { key: privateKey, commonName: request.commonName, publicKey };
  const notBefore = request.notBefore ?? new Date(Date.now() - 3600_000);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40; // positive, no leading zero byte
  const cert = buildCertificate(
    {
      commonName: request.commonName,
      ...(request.uris === undefined ? {} : { uris: request.uris }),
      ...(request.dns === undefined ? {} : { dns: request.dns }),
      ...(request.usages === undefined ? {} : { usages: request.usages }),
      notBefore,
      notAfter: request.notAfter ?? new Date(notBefore.getTime() + 24 * 3600_000),
      isCa: issuer === undefined,
      serial,
    },
    createPublicKey(privateKey),
    issuer ?? self,
  );
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signer: self,
    serial: serial.toString('hex').toUpperCase(),
  };
}
