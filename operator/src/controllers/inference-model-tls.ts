/**
 * An InferenceModel's mTLS (`spec.tls`), as a pure policy: the model server's serving
 * certificate, signed by the gateway's CA (the Secret `inference-tls-ca` that the gateway
 * reconcile keeps when INFERENCE_TLS=operator, certificates.ts), in the Secret
 * `model-<name>-tls` whose `ca.crt` is that CA's bundle: what verifies the gateway's client
 * certificate (`inference-tls-client`, signed by the same CA). This controller only reads the
 * CA, never issues or rotates it, so the CA's order holds for the model server too: a new CA
 * is in the bundle (and so in this Secret's ca.crt) P before it signs, and the serving
 * certificate is re-issued by it as soon as it signs (the CA Secret's change reconciles every
 * model with tls in the namespace). Renewed at two thirds of its lifetime like the gateway's.
 */
import type { KeyObject } from 'node:crypto';
import { pairOf, renewAt as renewAtOf, to } from '../pki/certificate-pair.ts';
import { colorName, COLORS } from '../render/model-server.ts';
import { modelNames } from '../render/labels.ts';
import { decideLeaf, type CaFiles, type LeafName, type TlsFiles } from './certificates.ts';
import { verdict, type Verdict } from './conditions.ts';

/** The Secret the model server's pods mount at MODEL_TLS_DIR. */
export function modelTlsSecretName(modelName: string): string {
  return `${modelNames(modelName).service}-tls`;
}

export interface ModelTlsObserved {
  namespace: string;
  modelName: string;
  /** Whether the operator keeps the gateway's CA (INFERENCE_TLS=operator). */
  operatorIssues: boolean;
  /** The CA Secret `inference-tls-ca`, decoded; undefined when absent. */
  ca: Partial<CaFiles> | undefined;
  /** The model's Secret as it is, decoded; undefined when absent. */
  existing: Partial<TlsFiles> | undefined;
  /** A key and serial for a certificate this pass may issue, drawn by the observe. */
  fresh: { key: KeyObject; serial: Buffer } | undefined;
  /** INFERENCE_TLS_CERTIFICATE_LIFETIME_MS. */
  lifetimeMs: number;
  now: Date;
}

export interface ModelTls {
  /** TLSReady. */
  ready: Verdict;
  /** The Secret's files; undefined: nothing to render (the pods wait for it). */
  files: TlsFiles | undefined;
  notAfter: number | undefined;
  renewAt: number | undefined;
  /** Set when this pass issued the certificate: the Event's message. */
  issued: string | undefined;
  /** When the certificate is next due, from now; undefined: no certificate. */
  nextChangeMs: number | undefined;
}

/** The names the serving certificate carries: the model's Service and both colours'. */
export function modelServerNames(namespace: string, modelName: string): LeafName {
  const service = modelNames(modelName).service;
  const services = [service, ...COLORS.map((color) => colorName(modelName, color))];
  return {
    commonName: `${service}.${namespace}.svc`,
    dns: services.flatMap((name) => [name, `${name}.${namespace}`, `${name}.${namespace}.svc`]),
  };
}

/** The model's certificate for this pass, or why its pods still wait for one. */
export function modelTlsPolicy(o: ModelTlsObserved): ModelTls {
  const secret = modelTlsSecretName(o.modelName);
  const waiting = (reason: string, message: string): ModelTls => ({
    ready: verdict('False', reason, `${message} Its pods wait for Secret ${secret}.`),
    files: undefined,
    notAfter: undefined,
    renewAt: undefined,
    issued: undefined,
    nextChangeMs: undefined,
  });
  if (!o.operatorIssues) {
    return waiting(
      'OperatorIssuesNoCertificates',
      'tls needs the operator to keep the gateway CA (INFERENCE_TLS=operator), which it does not.',
    );
  }
  const nowMs = o.now.getTime();
  const signing = pairOf(o.ca?.['tls.crt'], o.ca?.['tls.key'], nowMs, true);
  const bundle = o.ca?.['ca.crt'];
  const current = pairOf(o.existing?.['tls.crt'], o.existing?.['tls.key'], nowMs, false);
  if (bundle === undefined || bundle === '' || (signing === undefined && current === undefined)) {
    return waiting(
      'CANotIssued',
      `The gateway CA (Secret inference-tls-ca in ${o.namespace}) is not issued yet; the gateway reconcile of the namespace issues it.`,
    );
  }
  if (o.fresh === undefined) throw new Error('The observe drew no certificate key.');
  const leaf = decideLeaf({
    existing: o.existing,
    signing,
    name: modelServerNames(o.namespace, o.modelName),
    fresh: o.fresh,
    now: o.now,
    lifetimeMs: o.lifetimeMs,
    usages: ['serverAuth'],
  });
  const notAfter = to(leaf.pair.cert);
  const renewAt = renewAtOf(leaf.pair.cert);
  const until = new Date(notAfter).toISOString();
  return {
    ready: verdict(
      'True',
      'CertificateIssued',
      `Serving certificate in Secret ${secret}, valid until ${until}, renewed at ${new Date(renewAt).toISOString()}; client certificates must come from the gateway CA.`,
    ),
    files: { 'tls.crt': leaf.pair.pem, 'tls.key': leaf.pair.keyPem, 'ca.crt': bundle },
    notAfter,
    renewAt,
    issued: leaf.issued
      ? `Issued the serving certificate of the model server, valid until ${until}.`
      : undefined,
    nextChangeMs: Math.max(renewAt - nowMs, 1000),
  };
}
