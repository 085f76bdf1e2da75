/**
 * A fresh key and serial for one certificate: drawn by an observe (randomness stays out of the
 * pure policies, as the clock does) and handed to controllers/certificates.ts.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** An ECDSA P-256 private key and a positive 16-byte serial. */
export function freshCertificateKey(): { key: KeyObject; serial: Buffer } {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40; // positive, no leading zero byte
  return { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, serial };
}
