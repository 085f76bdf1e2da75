/**
 * How the manager runs the InferenceModel controller: keyed by the model, it owns the model's
 * colour Deployments, ConfigMaps and Services; a change to the model or to one of those
 * reconciles it. Observe asks the pods (the one read that leaves the caches, bounded by the
 * probe's timeouts): while a version waits to become active, each colour's, what they serve
 * and a smoke request; else the active colour's, what they say of their memory. With
 * spec.tls it owns the model's TLS Secret too, reads the gateway CA it is signed by (a change
 * to `inference-tls-ca` reconciles every model of the namespace), and probes over mTLS with
 * the gateway's client certificate (`inference-tls-client`), verifying the server by that CA.
 */
import type { InferenceModel, InferenceModelStatus } from '../../../crds/inference-model.ts';
import { ownedByReference, ownKey, renderedInto, watch } from '../handlers.ts';
import { freshCertificateKey } from '../pki/fresh-key.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { colorName, COLORS, SERVED_KEY, SPEC_KEY, type Color } from '../render/model-server.ts';
import type { ProbeTls } from '../runtime/model-probe.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import {
  ConfigMaps,
  Deployments,
  InferenceModels,
  Secrets,
  Services,
} from '../runtime/resources.ts';
import { modelTlsSecretName, type ModelTlsObserved } from './inference-model-tls.ts';
import {
  reconcileInferenceModel,
  type ColorObserved,
  type DeploymentState,
  type InferenceModelObserved,
  type PodTemplateLabels,
} from './inference-model.ts';
import type { ColorProbe } from './model-rollout.ts';

export const registration: Registration<InferenceModelObserved, InferenceModelStatus> = {
  name: 'inferencemodel',
  for: InferenceModels,
  owns: ownedByReference('InferenceModel', [Deployments, Services, ConfigMaps, Secrets]),
  watches: [
    watch(InferenceModels, ownKey),
    // A new or rotated gateway CA: the models' certificates are re-issued by it.
    watch(Secrets, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.tlsCa, InferenceModels)),
  ],
  observe: async (key, observer) => {
    const { namespace, name } = splitKey(key);
    const { caches, settings } = observer;
    const model = caches.of<InferenceModel & KubeObject>(InferenceModels).get(namespace, name);
    const colors: Partial<Record<Color, ColorObserved>> = {};
    for (const color of COLORS) {
      const child = colorName(name, color);
      const deployment = caches
        .of<KubeObject & DeploymentState & PodTemplateLabels>(Deployments)
        .get(namespace, child);
      const configMap = caches
        .of<KubeObject & { data?: Record<string, string> }>(ConfigMaps)
        .get(namespace, child);
      colors[color] = {
        deployment,
        specText: configMap?.data?.[SPEC_KEY],
        servedText: configMap?.data?.[SERVED_KEY],
      };
    }
    const secret = (secretName: string) => observer.secretFiles(namespace, secretName);
    const tlsSource = settings.tls;
    const tls: ModelTlsObserved | undefined =
      model?.spec.tls === undefined
        ? undefined
        : {
            namespace,
            modelName: name,
            operatorIssues: tlsSource.kind === 'operator',
            ca: secret(GATEWAY_NAMES.tlsCa),
            existing: secret(modelTlsSecretName(name)),
            fresh: freshCertificateKey(),
            lifetimeMs: tlsSource.kind === 'operator' ? tlsSource.certificateLifetimeMs : 0,
            now: observer.now(),
          };
    const probes: Partial<Record<Color, ColorProbe>> = {};
    const active = model?.status?.activeVersion;
    if (model !== undefined && active !== undefined) {
      // While a version waits: both colours, with a smoke request for it. Else the active
      // colour only, no smoke: what its pods say of their memory (MemoryHeadroomOK).
      const rollout = active !== model.spec.version;
      const activeColor = model.status?.activeColor ?? 'blue';
      const client = tls === undefined ? undefined : secret(GATEWAY_NAMES.tlsClient);
      for (const color of COLORS) {
        if (colors[color]?.deployment === undefined) continue;
        if (!rollout && color !== activeColor) continue;
        const service = colorName(name, color);
        const probeTls: ProbeTls | undefined =
          tls === undefined
            ? undefined
            : {
                ca: client?.['ca.crt'],
                cert: client?.['tls.crt'],
                key: client?.['tls.key'],
                serverName: `${service}.${namespace}.svc`,
              };
        probes[color] = await observer.probeModel(
          namespace,
          service,
          name,
          rollout ? model.spec.version : undefined,
          probeTls,
        );
      }
    }
    return {
      model,
      colors,
      probes,
      settings: {
        image: settings.modelServerImage,
        imagePullPolicy: settings.gateway.imagePullPolicy,
      },
      tls,
      now: observer.now(),
    };
  },
  reconcile: reconcileInferenceModel,
};
