/**
 * How the manager runs the InferenceModel controller: keyed by the model, it owns the model's
 * colour Deployments, ConfigMaps and Services; a change to the model or to one of those
 * reconciles it. While a version waits to become active, observe asks each colour's pods what
 * they serve (the one read that leaves the caches, bounded by the probe's timeouts).
 */
import type { InferenceModel, InferenceModelStatus } from '../../../crds/inference-model.ts';
import { ownedByReference, ownKey, watch } from '../handlers.ts';
import type { Registration } from '../registration.ts';
import { colorName, COLORS, SERVED_KEY, SPEC_KEY, type Color } from '../render/model-server.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, Deployments, InferenceModels, Services } from '../runtime/resources.ts';
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
  owns: ownedByReference('InferenceModel', [Deployments, Services, ConfigMaps]),
  watches: [watch(InferenceModels, ownKey)],
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
    const probes: Partial<Record<Color, ColorProbe>> = {};
    const active = model?.status?.activeVersion;
    if (model !== undefined && active !== undefined && active !== model.spec.version) {
      for (const color of COLORS) {
        if (colors[color]?.deployment === undefined) continue;
        probes[color] = await observer.probeModel(
          namespace,
          colorName(name, color),
          name,
          model.spec.version,
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
      now: observer.now(),
    };
  },
  reconcile: reconcileInferenceModel,
};
