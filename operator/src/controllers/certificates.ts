/**
 * The gateway's certificates, as a pure policy: a CA the operator keeps in the Secret
 * `inference-tls-ca`, and the serving (`inference-tls`) and client (`inference-tls-client`)
 * certificates it signs, each in the layout cert-manager writes (`tls.crt`, `tls.key`,
 * `ca.crt` = the CA bundle). Pods read a changed Secret up to P (`propagationMs`) late, so:
 * - a leaf is renewed at two thirds of its lifetime, and at once when it is missing, does not
 *   match its key, was signed by another CA than the signing one, or names other SANs;
 * - the CA is renewed at two thirds of its lifetime in two steps: the new CA joins the bundle
 *   of every Secret at once (`next.crt`), and signs only P later, when every pod trusts it
 *   (published before use); the leaves are then re-issued by it;
 * - the old CA leaves the bundle 3P after the new one was published: P until it signs, P for
 *   the leaves it re-issued to reach every pod, P of slack. A CA that issued a leaf still
 *   rendered never leaves.
 * What is new (keys, serials) is drawn by the observe, as the clock is; node:crypto only
 * parses and signs here.
 */
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import {
  bundleOf,
  issuedBy,
  issuerOf,
  pairOf,
  published,
  renewAt,
  sanText,
  subject,
  to,
  toPair,
  uniqueCerts,
  type Pair,
} from '../pki/certificate-pair.ts';
import { buildCertificate, type KeyUsage } from '../pki/x509.ts';

/** A Secret's data in cert-manager's layout, as text (PEM), not base64. */
export interface TlsFiles {
  'tls.crt': string;
  'tls.key': string;
  'ca.crt': string;
}

/**
 * The CA Secret: the signing CA (`tls.crt`, `tls.key`), the one published to sign next, and
 * the bundle. Only while a lost CA is replaced (the Secret was deleted, say, with leaves still
 * out) is there a next CA and no signing one.
 */
export interface CaFiles extends Partial<Omit<TlsFiles, 'ca.crt'>> {
  'ca.crt': string;
  'next.crt'?: string;
  'next.key'?: string;
}

export interface CertificateSettings {
  caLifetimeMs: number;
  leafLifetimeMs: number;
  propagationMs: number;
}

/** What a leaf names: the serving certificate its DNS names, the client its SPIFFE ID. */
export interface LeafName {
  commonName: string;
  dns?: readonly string[];
  uris?: readonly string[];
}

export interface LeafNames {
  serving: LeafName;
  client: LeafName;
}

/** A key and a serial for each certificate the pass may issue, drawn by the observe. */
export interface FreshCertificateKeys {
  ca: { key: KeyObject; serial: Buffer };
  serving: { key: KeyObject; serial: Buffer };
  client: { key: KeyObject; serial: Buffer };
}

export interface CertificatesObserved {
  /** The three Secrets as they are, decoded; undefined when absent. */
  existing: { ca?: Partial<CaFiles>; serving?: Partial<TlsFiles>; client?: Partial<TlsFiles> };
  names: LeafNames;
  fresh: FreshCertificateKeys;
  now: Date;
  settings: CertificateSettings;
}

/** Why a pass changed a certificate: an Event reason and message. */
export interface CertificateChange {
  reason: 'CAIssued' | 'CAPublished' | 'CAActivated' | 'CARetired' | 'CertificateIssued';
  /** The Secret it happened to. */
  secret: 'ca' | 'serving' | 'client';
  message: string;
}

export interface CertificatesDecision {
  ca: CaFiles;
  serving: TlsFiles;
  client: TlsFiles;
  changes: CertificateChange[];
  /** When each expires, epoch ms (the gauges, `kubectl get` annotations and labels). */
  notAfter: { ca: number; serving: number; client: number };
  /**
   * When each is next replaced, epoch ms: a leaf at two thirds of its lifetime; the CA when its
   * successor starts signing (P after publishing it), or two thirds into its own lifetime.
   */
  renewAt: { ca: number; serving: number; client: number };
  /** When the certificates next change by themselves; undefined: never. */
  nextChangeMs: number | undefined;
}

/** The certificates for `now`, as the header describes. */
export function decideCertificates(o: CertificatesObserved): CertificatesDecision {
  const nowMs = o.now.getTime();
  const p = o.settings.propagationMs;
  const changes: CertificateChange[] = [];
  const existing = o.existing;
  let signing = pairOf(existing.ca?.['tls.crt'], existing.ca?.['tls.key'], nowMs, true);
  let next = pairOf(existing.ca?.['next.crt'], existing.ca?.['next.key'], nowMs, true);
  const leavesExist = existing.serving !== undefined || existing.client !== undefined;

  if (signing === undefined && next === undefined) {
    const fresh = issueCa(o);
    // Before any leaf exists nothing needs to trust it first: it signs at once.
    if (leavesExist) {
      next = fresh;
      changes.push({
        secret: 'ca',
        reason: 'CAPublished',
        message: `Published CA ${subject(fresh)}.`,
      });
    } else {
      signing = fresh;
      changes.push({ secret: 'ca', reason: 'CAIssued', message: `Issued CA ${subject(fresh)}.` });
    }
  } else if (signing !== undefined && next === undefined && nowMs >= renewAt(signing.cert)) {
    next = issueCa(o);
    changes.push({
      secret: 'ca',
      reason: 'CAPublished',
      message: `Published CA ${subject(next)}, signing in ${p} ms.`,
    });
  }
  if (next !== undefined && published(next.cert) + p <= nowMs) {
    signing = next;
    next = undefined;
    changes.push({
      secret: 'ca',
      reason: 'CAActivated',
      message: `CA ${subject(signing)} signs from now on.`,
    });
  }

  const serving = gatewayLeaf('serving', existing.serving, signing, o, changes, ['serverAuth']);
  const client = gatewayLeaf('client', existing.client, signing, o, changes, ['clientAuth']);

  // The bundle: the signing and next CAs, every earlier CA until 3P after its successor was
  // published, and any CA that issued a leaf rendered now. Expired CAs are dropped.
  const newest = next ?? signing;
  const retireAt = newest === undefined ? Infinity : published(newest.cert) + 3 * p;
  const keep = (cert: X509Certificate) =>
    to(cert) > nowMs &&
    (cert.fingerprint256 === signing?.cert.fingerprint256 ||
      cert.fingerprint256 === next?.cert.fingerprint256 ||
      nowMs < retireAt ||
      [serving, client].some((leaf) => leaf.cert.checkIssued(cert)));
  // The bundle as any of the three Secrets last had it: a lost CA Secret loses no trust.
  const previous = uniqueCerts(
    [existing.ca, existing.serving, existing.client].flatMap((files) =>
      bundleOf(files?.['ca.crt']),
    ),
  );
  const bundle = uniqueCerts([
    ...previous,
    ...(signing === undefined ? [] : [signing.cert]),
    ...(next === undefined ? [] : [next.cert]),
  ]).filter(keep);
  for (const cert of previous) {
    if (!bundle.some((kept) => kept.fingerprint256 === cert.fingerprint256)) {
      changes.push({
        secret: 'ca',
        reason: 'CARetired',
        message: `Removed CA ${cert.subject} from the bundle.`,
      });
    }
  }
  const caPem = bundle.map((cert) => cert.toString()).join('');

  const moments = [
    renewAt(serving.cert),
    renewAt(client.cert),
    ...(signing !== undefined && next === undefined ? [renewAt(signing.cert)] : []),
    ...(next === undefined ? [] : [published(next.cert) + p]),
    ...(bundle.length > (next === undefined ? 1 : 2) ? [retireAt] : []),
  ].filter((moment) => moment > nowMs && Number.isFinite(moment));
  return {
    ca: {
      ...(signing === undefined ? {} : { 'tls.crt': signing.pem, 'tls.key': signing.keyPem }),
      'ca.crt': caPem,
      ...(next === undefined ? {} : { 'next.crt': next.pem, 'next.key': next.keyPem }),
    },
    serving: { 'tls.crt': serving.pem, 'tls.key': serving.keyPem, 'ca.crt': caPem },
    client: { 'tls.crt': client.pem, 'tls.key': client.keyPem, 'ca.crt': caPem },
    changes,
    notAfter: {
      ca: Math.min(...bundle.map(to)),
      serving: to(serving.cert),
      client: to(client.cert),
    },
    renewAt: {
      ca:
        next !== undefined
          ? published(next.cert) + p
          : signing !== undefined
            ? renewAt(signing.cert)
            : Math.min(...bundle.map(to)),
      serving: renewAt(serving.cert),
      client: renewAt(client.cert),
    },
    nextChangeMs: moments.length === 0 ? undefined : Math.min(...moments) - nowMs,
  };
}

/** What one leaf decision reads: the gateway's two leaves, and a model server's (inference-model-tls.ts). */
export interface LeafRequest {
  existing: Partial<TlsFiles> | undefined;
  /** The CA that signs now; undefined while a published one waits to sign. */
  signing: Pair | undefined;
  name: LeafName;
  fresh: { key: KeyObject; serial: Buffer };
  now: Date;
  lifetimeMs: number;
  usages: readonly KeyUsage[];
}

/**
 * The leaf to render: the existing one while it is good, else one the signing CA issues now
 * (`issued`). Due at two thirds of its lifetime, or at once when missing, not matching its key,
 * naming other SANs or signed by another CA than the signing one.
 * @throws Error when no CA signs and no leaf exists (the caller waits for a CA instead).
 */
export function decideLeaf(r: LeafRequest): { pair: Pair; issued: boolean; notAfter: number } {
  const nowMs = r.now.getTime();
  const current = pairOf(r.existing?.['tls.crt'], r.existing?.['tls.key'], nowMs, false);
  const wanted = sanText(r.name.dns ?? [], r.name.uris ?? []);
  const due =
    current === undefined ||
    nowMs >= renewAt(current.cert) ||
    (current.cert.subjectAltName ?? '') !== wanted ||
    (r.signing !== undefined && !issuedBy(current.cert, r.signing.cert));
  // Without a signing CA (one is published, not signing yet) a leaf is kept as it is.
  if (current !== undefined && (!due || r.signing === undefined))
    return { pair: current, issued: false, notAfter: to(current.cert) };
  if (r.signing === undefined) throw new Error('No CA signs and no leaf exists.');
  const notAfter = Math.min(nowMs + r.lifetimeMs, to(r.signing.cert));
  const pem = buildCertificate(
    {
      commonName: r.name.commonName,
      ...(r.name.dns === undefined ? {} : { dns: r.name.dns }),
      ...(r.name.uris === undefined ? {} : { uris: r.name.uris }),
      notBefore: r.now,
      notAfter: new Date(notAfter),
      isCa: false,
      usages: r.usages,
      serial: r.fresh.serial,
    },
    createPublicKey(r.fresh.key),
    issuerOf(r.signing),
  );
  return { pair: toPair(pem, r.fresh.key), issued: true, notAfter };
}

/** The gateway's serving or client leaf, with a CertificateIssued change when it is new. */
function gatewayLeaf(
  which: 'serving' | 'client',
  existing: Partial<TlsFiles> | undefined,
  signing: Pair | undefined,
  o: CertificatesObserved,
  changes: CertificateChange[],
  usages: readonly KeyUsage[],
): Pair {
  const leaf = decideLeaf({
    existing,
    signing,
    name: o.names[which],
    fresh: o.fresh[which],
    now: o.now,
    lifetimeMs: o.settings.leafLifetimeMs,
    usages,
  });
  if (leaf.issued) {
    changes.push({
      secret: which,
      reason: 'CertificateIssued',
      message: `Issued the ${which} certificate, valid until ${new Date(leaf.notAfter).toISOString()}.`,
    });
  }
  return leaf.pair;
}

function issueCa(o: CertificatesObserved): Pair {
  const stamp = o.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const commonName = `inference-gateway-ca-${stamp}`;
  const { key, serial } = o.fresh.ca;
  const pem = buildCertificate(
    {
      commonName,
      notBefore: o.now,
      notAfter: new Date(o.now.getTime() + o.settings.caLifetimeMs),
      isCa: true,
      serial,
    },
    createPublicKey(key),
    { key, commonName, publicKey: createPublicKey(key) },
  );
  return toPair(pem, key);
}
