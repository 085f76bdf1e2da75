/**
 * X.509 certificates for tests, built with node:crypto alone (DER by hand, ECDSA P-256 with
 * SHA-256): a CA, and leaves it signs, with the SANs, validity and key usages a test needs.
 * Nothing here is checked in: every test makes its own chain.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface Issued {
  /** PEM of the certificate. */
  cert: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
  /** The key and name a certificate it issues needs (CAs only). */
  signer: Signer;
  serial: string;
}

interface Signer {
  key: KeyObject;
  name: Buffer;
  keyId: Buffer;
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
  usages?: ('serverAuth' | 'clientAuth')[];
}

/** A self-signed CA. */
export function createCa(commonName: string, validity: Partial<CertificateRequest> = {}): Issued {
  return build({ ...validity, commonName }, undefined, true);
}

/** A leaf certificate signed by `ca`. */
export function issue(ca: Issued, request: CertificateRequest): Issued {
  return build(request, ca.signer, false);
}

function build(request: CertificateRequest, issuer: Signer | undefined, isCa: boolean): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha1').update(spki).digest();
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(request.commonName)))));
  const signer = issuer ?? { key: privateKey, name, keyId };
  const notBefore = request.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = request.notAfter ?? new Date(notBefore.getTime() + 24 * 3600_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const extensions = [
    extension('2.5.29.19', true, isCa ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
    // digitalSignature for leaves; keyCertSign and cRLSign for CAs.
    extension('2.5.29.15', true, isCa ? bits(0x06, 1) : bits(0x80, 7)),
    extension('2.5.29.14', false, tlv(0x04, keyId)),
    extension('2.5.29.35', false, seq(tlv(0x80, signer.keyId))),
  ];
  if (!isCa) {
    const usages = request.usages ?? ['serverAuth', 'clientAuth'];
    const usageOids = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };
    extensions.push(extension('2.5.29.37', false, seq(...usages.map((u) => oid(usageOids[u])))));
    const names = [
      ...(request.uris ?? []).map((uri) => tlv(0x86, Buffer.from(uri))),
      ...(request.dns ?? []).map((dns) => tlv(0x82, Buffer.from(dns))),
    ];
    if (names.length > 0) extensions.push(extension('2.5.29.17', false, seq(...names)));
  }
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    signer.name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, signer.key);
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    cert: pem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signer: { key: privateKey, name, keyId },
    serial: serial.toString('hex').toUpperCase(),
  };
}

function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length;
  let header: number[];
  if (length < 0x80) header = [length];
  else if (length < 0x100) header = [0x81, length];
  else header = [0x82, length >> 8, length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...header]), value]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function bits(value: number, unused: number): Buffer {
  return tlv(0x03, Buffer.from([unused, value]));
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
