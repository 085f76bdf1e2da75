/**
 * Per InferenceModel: a Deployment, Service and ConfigMap per colour (blue, green) and the
 * model's Service, which selects the active colour. `runtime: onnx` runs the dataplane image in
 * model-server mode (`node --expose-gc dataplane/src/model-server.ts`), reading the version to
 * serve from its colour's ConfigMap, so that a new version there swaps inside the pods;
 * `runtime: container` runs the resource's image, any OpenAI-compatible server (vLLM listens
 * on 8000). Which colour runs what is the controller's plan (controllers/model-rollout.ts).
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { InferenceModel } from '../../../crds/inference-model.ts';
import type { KubeObject, OwnerReference } from '../runtime/objects.ts';
import {
  childLabels,
  MODEL_LABEL,
  modelNames,
  modelSelector,
  NAME_LABEL,
  ownerValue,
  SERVICE_PORT,
  serviceSafeName,
  VERSION_LABEL,
} from './labels.ts';
import { lower } from './lower.ts';
import { memoryRequestFor, modelMemory } from './quantity.ts';

export interface ModelServerSettings {
  /** Image of `runtime: onnx` servers. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

/** Port the server listens on: 8080 in the dataplane image, 8000 in OpenAI-compatible images. */
export function containerPort(model: InferenceModel): number {
  return model.spec.runtime === 'onnx' ? 8080 : 8000;
}

/** The controller ownerReference every child of the model carries (garbage collection). */
export function ownerReferenceTo(object: KubeObject): OwnerReference {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata.name,
    uid: object.metadata.uid ?? '',
    controller: true,
  };
}

/** In-cluster URL of the model's OpenAI-compatible API: https when it serves TLS (spec.tls). */
export function modelEndpoint(namespace: string, modelName: string, tls = false): string {
  return `${tls ? 'https' : 'http'}://${modelNames(modelName).service}.${namespace}.svc:${SERVICE_PORT}/v1`;
}

export type Color = 'blue' | 'green';
export const COLORS: readonly Color[] = ['blue', 'green'];

/**
 * What one colour should be: `version` goes in its ConfigMap, `podVersion` in its pod
 * template. A new podVersion starts new pods; a new version alone swaps inside the pods.
 */
export interface ColorPlan {
  version: string;
  podVersion: string;
  /** The modelBytes the pods are sized for (their default memory request). */
  podModelBytes: number;
  replicas: number;
  /** Its ConfigMap's `spec.json`: the version to serve (controllers/model-rollout.ts). */
  specText: string;
  /** Its ConfigMap's `served.json`: the version it last served as the active one. */
  servedText?: string;
}

/** Pod annotation: the modelBytes its memory request was sized for. */
export const MODEL_BYTES_ANNOTATION = 'inference.enis.io/model-bytes';

/** Pod label of a model server's colour: the Service selects the active one. */
export const COLOR_LABEL = 'inference.enis.io/color';
/** Where the pods read the version to serve (their colour's ConfigMap). */
const SPEC_DIR = '/etc/inference/model';
export const SPEC_KEY = 'spec.json';
/** The version the colour last served as the active one (for going back to it). */
export const SERVED_KEY = 'served.json';

/** The names of one colour's Deployment, Service and ConfigMap. */
export function colorName(modelName: string, color: Color): string {
  return serviceSafeName('model', `${modelName}-${color}`);
}

/**
 * The model's Service (selecting the active colour's pods) and, per colour the plan has, its
 * Deployment, its own Service (what the operator's smoke request and the pods' state are read
 * through) and its ConfigMap with the version to serve (`spec.json`, MODEL_SPEC_FILE).
 */
export function renderModelServer(
  model: InferenceModel,
  settings: ModelServerSettings,
  plan: { activeColor: Color; colors: Partial<Record<Color, ColorPlan>> },
): KubeObject[] {
  const { name, namespace = '' } = model.metadata;
  const names = modelNames(name);
  const selector = modelSelector(name);
  const labels = childLabels(ownerValue('InferenceModel', name), {
    [NAME_LABEL]: 'model-server',
    ...selector,
  });
  const owner = ownerReferenceTo(model as unknown as KubeObject);
  const port = containerPort(model);
  const onnx = model.spec.runtime === 'onnx';
  return lower((chart) => {
    const service = (id: string, serviceName: string, podLabels: Record<string, string>) =>
      new kplus.Service(chart, id, {
        metadata: { name: serviceName, namespace, labels, ownerReferences: [owner] },
        ports: [{ port: SERVICE_PORT, targetPort: port, name: 'http' }],
        selector: kplus.Pods.select(chart, `${id}-pods`, { labels: podLabels }),
      });
    service('service', names.service, { ...selector, [COLOR_LABEL]: plan.activeColor });
    for (const color of COLORS) {
      const colorPlan = plan.colors[color];
      if (colorPlan === undefined) continue;
      const childName = colorName(name, color);
      const colorSelector = { ...selector, [COLOR_LABEL]: color };
      if (onnx) {
        new kplus.ConfigMap(chart, `${color}-spec`, {
          metadata: { name: childName, namespace, labels, ownerReferences: [owner] },
          data: {
            [SPEC_KEY]: colorPlan.specText,
            ...(colorPlan.servedText === undefined ? {} : { [SERVED_KEY]: colorPlan.servedText }),
          },
        });
      }
      const deployment = new kplus.Deployment(chart, `${color}-deployment`, {
        metadata: { name: childName, namespace, labels, ownerReferences: [owner] },
        replicas: colorPlan.replicas,
        select: false,
        podMetadata: {
          labels: { ...colorSelector, [VERSION_LABEL]: colorPlan.podVersion },
          annotations: { [MODEL_BYTES_ANNOTATION]: String(colorPlan.podModelBytes) },
        },
        automountServiceAccountToken: false,
        securityContext: { ensureNonRoot: true },
        ...(onnx
          ? {
              volumes: [
                kplus.Volume.fromConfigMap(
                  chart,
                  `${color}-spec-volume`,
                  kplus.ConfigMap.fromConfigMapName(chart, `${color}-spec-ref`, childName),
                  { name: 'model-spec' },
                ),
              ],
            }
          : {}),
        containers: [
          {
            name: 'model-server',
            image: onnx ? settings.image : (model.spec.image ?? ''),
            imagePullPolicy: pullPolicy(settings.imagePullPolicy),
            ...(onnx ? { command: ['node', '--expose-gc', 'dataplane/src/model-server.ts'] } : {}),
            ports: [{ number: port, name: 'http' }],
            envVariables: onnx ? modelEnv(model, port) : {},
            securityContext: {
              ensureNonRoot: onnx,
              readOnlyRootFilesystem: onnx,
              allowPrivilegeEscalation: false,
            },
            // Loading weights takes a while: the startup probe allows 10 minutes.
            startup: kplus.Probe.fromTcpSocket({
              port,
              failureThreshold: 60,
              periodSeconds: Duration.seconds(10),
            }),
            readiness: onnx
              ? kplus.Probe.fromHttpGet('/readyz', { port })
              : kplus.Probe.fromTcpSocket({ port }),
            ...(onnx ? { liveness: kplus.Probe.fromHttpGet('/livez', { port }) } : {}),
          },
        ],
      });
      if (onnx) {
        ApiObject.of(deployment).addJsonPatch(
          JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', [
            { name: 'model-spec', mountPath: SPEC_DIR, readOnly: true },
          ]),
        );
      }
      deployment.select(kplus.LabelSelector.of({ labels: colorSelector }));
      const resources = memoryRequestFor(
        model.spec.resources,
        modelMemory({ ...model.spec, modelBytes: colorPlan.podModelBytes }),
      );
      // Quantities pass through as written (kplus types them as Cpu and Size, which would
      // reformat them); a JSON patch carries them as k8s Quantity values.
      ApiObject.of(deployment).addJsonPatch(
        JsonPatch.add('/spec/template/spec/containers/0/resources', quantities(resources)),
      );
      service(`${color}-service`, childName, colorSelector);
    }
  });
}

/** The version in spec, as the model server reads it (model-server/spec-file.ts). */
export function specJson(model: InferenceModel): string {
  return `${JSON.stringify({
    version: model.spec.version,
    uri: model.spec.source.uri,
    checksum: model.spec.source.checksum,
    quantization: model.spec.quantization ?? 'fp32',
    modelBytes: model.spec.modelBytes,
  })}\n`;
}

/** A resources object whose values are k8s Quantity values, as cdk8s serialises them. */
export function quantities(resources: {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}): Record<string, Record<string, kplus.k8s.Quantity>> {
  const out: Record<string, Record<string, kplus.k8s.Quantity>> = {};
  for (const [field, list] of Object.entries(resources)) {
    out[field] = Object.fromEntries(
      Object.entries(list).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(v)]),
    );
  }
  return out;
}

function modelEnv(model: InferenceModel, port: number): Record<string, kplus.EnvValue> {
  const env: Record<string, string> = {
    HOST: '0.0.0.0',
    PORT: String(port),
    MODEL_NAME: model.metadata.name,
    // The version (uri, checksum, size) comes from the colour's ConfigMap: a change there
    // swaps in the pod, where a change here would start new pods.
    MODEL_SPEC_FILE: `${SPEC_DIR}/${SPEC_KEY}`,
    MODEL_HEADROOM_FACTOR: String(model.spec.headroomFactor ?? 1.3),
    // glibc hands freed weights back to the kernel, so an unloaded version leaves the RSS
    // (docs/models.md: without it, 10 swaps of a 164 MB ONNX model grew RSS by 62 %).
    MALLOC_MMAP_THRESHOLD_: '131072',
  };
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]));
}

export function pullPolicy(policy: ModelServerSettings['imagePullPolicy']): kplus.ImagePullPolicy {
  switch (policy) {
    case 'Always':
      return kplus.ImagePullPolicy.ALWAYS;
    case 'Never':
      return kplus.ImagePullPolicy.NEVER;
    case 'IfNotPresent':
      return kplus.ImagePullPolicy.IF_NOT_PRESENT;
  }
}

export { MODEL_LABEL };
