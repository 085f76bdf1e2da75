/**
 * X.509 certificates built with node:crypto alone (DER by hand): ECDSA P-256 keys signed with
 * SHA-256, names of one CN, the extensions a TLS CA and its leaves need (basic constraints,
 * key usage, subject and authority key ids, extended key usage, SANs). Parsing is node's
 * `X509Certificate`; only building is here, because node has no API for it.
 */
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';

export type KeyUsage = 'serverAuth' | 'clientAuth';

export interface CertificateTemplate {
  commonName: string;
  /** URI SANs (`spiffe://…`). */
  uris?: readonly string[];
  /** DNS SANs. */
  dns?: readonly string[];
  notBefore: Date;
  notAfter: Date;
  /** A CA (signs certificates) or a leaf with these extended key usages. */
  isCa: boolean;
  /** @default ['serverAuth', 'clientAuth'] for a leaf */
  usages?: readonly KeyUsage[];
  /** 1 to 20 bytes, read as an unsigned number (RFC 5280: positive, at most 20 octets). */
  serial: Buffer;
}

/** Who signs: its key, and its CN and public key (the issuer name and authority key id). */
export interface Issuer {
  key: KeyObject;
  commonName: string;
  publicKey: KeyObject;
}

/**
 * A PEM certificate of `subjectKey` (a public key) for `template`, signed by `issuer`, or by
 * the subject itself when `issuer` names its own key (self-signed).
 */
export function buildCertificate(
  template: CertificateTemplate,
  subjectKey: KeyObject,
  issuer: Issuer,
): string {
  const spki = spkiOf(subjectKey);
  const extensions = [
    extension('2.5.29.19', true, template.isCa ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
    // keyCertSign and cRLSign for a CA; digitalSignature for a leaf.
    extension('2.5.29.15', true, template.isCa ? bits(0x06, 1) : bits(0x80, 7)),
    extension('2.5.29.14', false, tlv(0x04, keyId(spki))),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(spkiOf(issuer.publicKey))))),
  ];
  if (!template.isCa) {
    const usages = template.usages ?? ['serverAuth', 'clientAuth'];
    const oids = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };
    extensions.push(extension('2.5.29.37', false, seq(...usages.map((u) => oid(oids[u])))));
    const names = [
      ...(template.uris ?? []).map((uri) => tlv(0x86, Buffer.from(uri))),
      ...(template.dns ?? []).map((dns) => tlv(0x82, Buffer.from(dns))),
    ];
    if (names.length > 0) extensions.push(extension('2.5.29.17', false, seq(...names)));
  }
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(template.serial),
    ecdsaWithSha256,
    name(issuer.commonName),
    seq(time(template.notBefore), time(template.notAfter)),
    name(template.commonName),
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer.key);
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const spkiOf = (key: KeyObject): Buffer =>
  (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
/** RFC 5280 §4.2.1.2 method 1 (over the whole SPKI, as many issuers do). */
const keyId = (spki: Buffer): Buffer => createHash('sha1').update(spki).digest();

function name(commonName: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))));
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

/** A non-negative DER INTEGER: minimal, so leading zero bytes go and a high bit gets one. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  return tlv(0x02, (value[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
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
