/**
 * The certificate Secrets of INFERENCE_TLS=operator (controllers/certificates.ts): the CA
 * (`inference-tls-ca`, Opaque: its key never leaves the operator's namespace objects), the
 * gateway's serving certificate (`inference-tls`) and a client certificate
 * (`inference-tls-client`), both `kubernetes.io/tls` in the layout cert-manager writes.
 * Each carries its certificate's expiry as an annotation (ISO 8601) and, with its renewal time,
 * as labels (`labelTime`), so `kubectl get secret -L inference.enis.io/not-after -L
 * inference.enis.io/renew-at` shows what expires when and when the operator replaces it.
 */
import * as kplus from 'cdk8s-plus-33';
import type { CertificatesDecision } from '../controllers/certificates.ts';
import type { KubeObject } from '../runtime/objects.ts';
import {
  childLabels,
  GATEWAY_NAMES,
  GATEWAY_OWNER,
  labelTime,
  NOT_AFTER_ANNOTATION,
  NOT_AFTER_LABEL,
  RENEW_AT_LABEL,
} from './labels.ts';
import { lower } from './lower.ts';

const base64 = (files: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(files).flatMap(([key, text]) =>
      text === undefined ? [] : [[key, Buffer.from(text, 'utf8').toString('base64')]],
    ),
  );

export function renderCertificates(
  namespace: string,
  decision: CertificatesDecision,
): KubeObject[] {
  const labels = childLabels(GATEWAY_OWNER);
  const meta = (name: string, which: 'ca' | 'serving' | 'client') => ({
    name,
    namespace,
    labels: {
      ...labels,
      [NOT_AFTER_LABEL]: labelTime(decision.notAfter[which]),
      [RENEW_AT_LABEL]: labelTime(decision.renewAt[which]),
    },
    annotations: { [NOT_AFTER_ANNOTATION]: new Date(decision.notAfter[which]).toISOString() },
  });
  return lower((chart) => {
    new kplus.k8s.KubeSecret(chart, 'tls-ca', {
      metadata: meta(GATEWAY_NAMES.tlsCa, 'ca'),
      type: 'Opaque',
      data: base64({ ...decision.ca }),
    });
    new kplus.k8s.KubeSecret(chart, 'tls', {
      metadata: meta(GATEWAY_NAMES.tls, 'serving'),
      type: 'kubernetes.io/tls',
      data: base64({ ...decision.serving }),
    });
    new kplus.k8s.KubeSecret(chart, 'tls-client', {
      metadata: meta(GATEWAY_NAMES.tlsClient, 'client'),
      type: 'kubernetes.io/tls',
      data: base64({ ...decision.client }),
    });
  });
}
