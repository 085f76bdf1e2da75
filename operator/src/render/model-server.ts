/**
 * Per InferenceModel: the model-server Deployment and its Service. `runtime: onnx` runs the
 * dataplane image in model-server mode (`node --expose-gc dataplane/src/model-server.ts`);
 * `runtime: container` runs the resource's image, any OpenAI-compatible server (vLLM listens
 * on 8000). Rollout is in place for now (a new version rolls the Deployment); blue/green comes later.
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
  VERSION_LABEL,
} from './labels.ts';
import { lower } from './lower.ts';
import { memoryRequestFor, type ModelMemory } from './quantity.ts';

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

/** In-cluster URL of the model's OpenAI-compatible API. */
export function modelEndpoint(namespace: string, modelName: string): string {
  return `http://${modelNames(modelName).service}.${namespace}.svc:${SERVICE_PORT}/v1`;
}

export function renderModelServer(
  model: InferenceModel,
  settings: ModelServerSettings,
  memory: ModelMemory,
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
    const deployment = new kplus.Deployment(chart, 'deployment', {
      metadata: { name: names.deployment, namespace, labels, ownerReferences: [owner] },
      replicas: model.spec.replicas ?? 1,
      select: false,
      podMetadata: { labels: { ...selector, [VERSION_LABEL]: model.spec.version } },
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true },
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
    deployment.select(kplus.LabelSelector.of({ labels: selector }));
    const resources = memoryRequestFor(model.spec.resources, memory);
    // Quantities pass through as written (kplus types them as Cpu and Size, which would
    // reformat them); a JSON patch carries them as k8s Quantity values.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/resources', quantities(resources)),
    );
    new kplus.Service(chart, 'service', {
      metadata: { name: names.service, namespace, labels, ownerReferences: [owner] },
      ports: [{ port: SERVICE_PORT, targetPort: port, name: 'http' }],
      selector: kplus.Pods.select(chart, 'pods', { labels: selector }),
    });
  });
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
    MODEL_VERSION: model.spec.version,
    MODEL_URI: model.spec.source.uri,
    MODEL_CHECKSUM: model.spec.source.checksum,
    MODEL_QUANTIZATION: model.spec.quantization ?? 'fp32',
    MODEL_BYTES: String(model.spec.modelBytes),
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
