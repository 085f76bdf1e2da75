import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { CONTRACT_FILES } from './contract.ts';
import { ConfigError } from './validate.ts';

/** The listener's certificate, its key and the client CA bundle, checked as a whole. */
export interface TlsMaterial {
  /** SHA-256 over the three files: changes exactly when the material does. */
  readonly id: string;
  /** PEM, as the contract holds them: the chain (leaf first), its key, the CA bundle. */
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  /** The CA bundle parsed: a client certificate is re-verified against it after a rotation. */
  readonly authorities: readonly X509Certificate[];
  /** The serving certificate's expiry, and the earliest of the CA bundle's, epoch ms. */
  readonly expiries: { readonly serving: number; readonly ca: number | undefined };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads `tls/` of the contract when `gateway.tls.enabled`, or returns undefined. Refuses (a
 * ConfigError, so the served snapshot stays) a pair whose key does not match, a certificate
 * that has expired or is not valid yet, a CA bundle that holds anything but valid CAs, and
 * settings that ask for client certificates without TLS or identities without certificates.
 */
export function readTlsMaterial(
  files: ReadonlyMap<string, string>,
  settings: GatewaySettings['tls'],
  nowMs: number,
): TlsMaterial | undefined {
  const where = `${CONTRACT_FILES.gateway}: tls`;
  if (!settings.enabled) {
    if (settings.clientCertificates !== 'off')
      throw new ConfigError(`${where}.clientCertificates needs tls.enabled.`);
    return undefined;
  }
  const identities = Object.keys(settings.clientIdentities);
  if (identities.length > 0 && settings.clientCertificates === 'off') {
    throw new ConfigError(
      `${where}.clientIdentities names ${identities.join(', ')} but clientCertificates is off.`,
    );
  }
  const read = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw new ConfigError(`${path}: the file is missing (tls.enabled).`);
    return text;
  };
  const cert = read(CONTRACT_FILES.tlsCertificate);
  const key = read(CONTRACT_FILES.tlsKey);
  // Without client certificates the bundle verifies nothing, so it is not read at all.
  const caText = settings.clientCertificates === 'off' ? undefined : read(CONTRACT_FILES.tlsCa);

  const chain = certificates(cert, CONTRACT_FILES.tlsCertificate);
  const leaf = chain[0];
  if (leaf === undefined)
    throw new ConfigError(`${CONTRACT_FILES.tlsCertificate}: no certificate.`);
  checkValidity(leaf, CONTRACT_FILES.tlsCertificate, nowMs);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`${CONTRACT_FILES.tlsKey}: not a PEM private key.`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      `${CONTRACT_FILES.tlsKey}: does not match the certificate in ${CONTRACT_FILES.tlsCertificate}.`,
    );
  }
  const authorities = caText === undefined ? [] : certificates(caText, CONTRACT_FILES.tlsCa);
  for (const [index, authority] of authorities.entries()) {
    const name = `${CONTRACT_FILES.tlsCa}: certificate ${index} (${authority.subject})`;
    if (!authority.ca) throw new ConfigError(`${name} is not a CA.`);
    checkValidity(authority, name, nowMs);
  }
  if (caText !== undefined && authorities.length === 0)
    throw new ConfigError(`${CONTRACT_FILES.tlsCa}: no certificate.`);
  try {
    createSecureContext({ cert, key, ...(caText === undefined ? {} : { ca: caText }) });
  } catch (error) {
    throw new ConfigError(`tls/: refused by OpenSSL (${(error as Error).message}).`);
  }
  return {
    id: `sha256:${createHash('sha256')
      .update(`${cert}\0${key}\0${caText ?? ''}`)
      .digest('hex')}`,
    cert,
    key,
    ca: caText,
    authorities,
    expiries: {
      serving: leaf.validToDate.getTime(),
      ca:
        authorities.length === 0
          ? undefined
          : Math.min(...authorities.map((authority) => authority.validToDate.getTime())),
    },
  };
}

/** Every PEM certificate of `text`, parsed; a block that does not parse is a ConfigError. */
export function certificates(text: string, where: string): X509Certificate[] {
  return (text.match(PEM_CERTIFICATE) ?? []).map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new ConfigError(`${where}: certificate ${index} is not valid PEM.`);
    }
  });
}

/** A ConfigError unless `certificate` is valid at `nowMs`. */
export function checkValidity(certificate: X509Certificate, where: string, nowMs: number): void {
  if (certificate.validToDate.getTime() <= nowMs)
    throw new ConfigError(`${where}: expired at ${certificate.validToDate.toISOString()}.`);
  if (certificate.validFromDate.getTime() > nowMs)
    throw new ConfigError(`${where}: not valid before ${certificate.validFromDate.toISOString()}.`);
}
