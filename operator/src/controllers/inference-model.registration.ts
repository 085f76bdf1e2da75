/**
 * How the manager runs the InferenceModel controller: keyed by the model, it owns the model's
 * server Deployment and Service; a change to the model or to one of those reconciles it.
 */
import type { InferenceModel, InferenceModelStatus } from '../../../crds/inference-model.ts';
import { ownedByReference, ownKey, watch } from '../handlers.ts';
import type { Registration } from '../registration.ts';
import { modelNames } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { Deployments, InferenceModels, Services } from '../runtime/resources.ts';
import {
  reconcileInferenceModel,
  type DeploymentState,
  type InferenceModelObserved,
} from './inference-model.ts';

export const registration: Registration<InferenceModelObserved, InferenceModelStatus> = {
  name: 'inferencemodel',
  for: InferenceModels,
  owns: ownedByReference('InferenceModel', [Deployments, Services]),
  watches: [watch(InferenceModels, ownKey)],
  observe: (key, observer) => {
    const { namespace, name } = splitKey(key);
    const { caches, settings } = observer;
    return {
      model: caches.of<InferenceModel & KubeObject>(InferenceModels).get(namespace, name),
      deployment: caches
        .of<KubeObject & DeploymentState>(Deployments)
        .get(namespace, modelNames(name).deployment),
      settings: {
        image: settings.modelServerImage,
        imagePullPolicy: settings.gateway.imagePullPolicy,
      },
      now: observer.now(),
    };
  },
  reconcile: reconcileInferenceModel,
};
