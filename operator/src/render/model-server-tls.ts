/**
 * TLS for the Deployments of an InferenceModel's model server (runtime onnx: the dataplane
 * image, whose model-server/tls.ts reads MODEL_TLS_DIR): the Secret `secretName`, in the
 * layout cert-manager writes (`tls.crt` and `tls.key`, the model server's serving certificate
 * for its Service's names; `ca.crt`, the bundle that verifies the gateway's client
 * certificate), mounted at MODEL_TLS_DIR; every request but the probes needs a client
 * certificate from that bundle (MODEL_TLS_CLIENT_CERTIFICATES=required), and the HTTP probes
 * speak HTTPS. A lowered-object patch, so render/model-server.ts calls it on what it renders.
 * renderModelTlsSecret renders that Secret when the operator issues it
 * (controllers/inference-model-tls.ts), with its expiry as labels like the gateway's.
 */
import * as kplus from 'cdk8s-plus-33';
import type { TlsFiles } from '../controllers/certificates.ts';
import type { KubeObject, OwnerReference } from '../runtime/objects.ts';
import {
  childLabels,
  labelTime,
  NOT_AFTER_ANNOTATION,
  NOT_AFTER_LABEL,
  ownerValue,
  RENEW_AT_LABEL,
} from './labels.ts';
import { lower } from './lower.ts';

export const MODEL_TLS_DIR = '/etc/model-tls';
const VOLUME = 'model-tls';

interface Container {
  name: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: { httpGet?: Record<string, unknown> };
  livenessProbe?: { httpGet?: Record<string, unknown> };
  startupProbe?: { httpGet?: Record<string, unknown> };
}

interface DeploymentLike extends KubeObject {
  spec?: {
    template?: {
      spec?: { containers?: Container[]; volumes?: Record<string, unknown>[] };
    };
  };
}

/**
 * `objects` with every Deployment's `model-server` container serving TLS from `secretName`.
 * @throws Error when a model-server container does not run the dataplane image's model server
 *   (runtime container): its image's own TLS settings would be needed, and silence would leave
 *   it plaintext.
 */
export function withModelServerTls(
  objects: readonly KubeObject[],
  secretName: string,
): KubeObject[] {
  return objects.map((object) => {
    if (object.kind !== 'Deployment') return object;
    const deployment = structuredClone(object) as DeploymentLike;
    const pod = deployment.spec?.template?.spec;
    const container = pod?.containers?.find((c) => c.name === 'model-server');
    if (pod === undefined || container === undefined) return object;
    if (!(container.command ?? []).some((part) => part.endsWith('model-server.ts'))) {
      throw new Error(
        `Deployment ${object.metadata.name} runs an image of its own: its model server cannot read MODEL_TLS_DIR.`,
      );
    }
    pod.volumes = [...(pod.volumes ?? []), { name: VOLUME, secret: { secretName } }];
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: VOLUME, mountPath: MODEL_TLS_DIR, readOnly: true },
    ];
    container.env = [
      ...(container.env ?? []),
      { name: 'MODEL_TLS_CLIENT_CERTIFICATES', value: 'required' },
      { name: 'MODEL_TLS_DIR', value: MODEL_TLS_DIR },
    ].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe])
      if (probe?.httpGet !== undefined) probe.httpGet = { ...probe.httpGet, scheme: 'HTTPS' };
    return deployment;
  });
}

/** The model server's TLS Secret (`kubernetes.io/tls`, cert-manager's layout), owned by the model. */
export function renderModelTlsSecret(
  secret: { name: string; namespace: string; modelName: string; owner: OwnerReference },
  files: TlsFiles,
  times: { notAfter: number; renewAt: number },
): KubeObject[] {
  return lower((chart) => {
    new kplus.k8s.KubeSecret(chart, 'model-tls', {
      metadata: {
        name: secret.name,
        namespace: secret.namespace,
        labels: childLabels(ownerValue('InferenceModel', secret.modelName), {
          [NOT_AFTER_LABEL]: labelTime(times.notAfter),
          [RENEW_AT_LABEL]: labelTime(times.renewAt),
        }),
        annotations: { [NOT_AFTER_ANNOTATION]: new Date(times.notAfter).toISOString() },
        ownerReferences: [secret.owner],
      },
      type: 'kubernetes.io/tls',
      data: Object.fromEntries(
        Object.entries(files).map(([key, text]: [string, string]) => [
          key,
          Buffer.from(text, 'utf8').toString('base64'),
        ]),
      ),
    });
  });
}
