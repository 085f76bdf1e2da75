/**
 * How the manager runs the PromptManifest controller: the manifests of a namespace decide
 * together (one prompt version, one winner), and the rendered `inference-prompts` ConfigMap
 * tells them whether they are served. It renders nothing of its own.
 */
import type { PromptManifest, PromptManifestStatus } from '../../../crds/prompt-manifest.ts';
import { allInNamespace, renderedInto, watch } from '../handlers.ts';
import type { Registration } from '../registration.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER } from '../render/labels.ts';
import { splitKey, type KubeObject } from '../runtime/objects.ts';
import { ConfigMaps, PromptManifests } from '../runtime/resources.ts';
import { reconcilePromptManifest, type PromptManifestObserved } from './prompt-manifest.ts';

export const registration: Registration<PromptManifestObserved, PromptManifestStatus> = {
  name: 'promptmanifest',
  for: PromptManifests,
  watches: [
    watch(PromptManifests, allInNamespace(PromptManifests)),
    watch(ConfigMaps, renderedInto(GATEWAY_OWNER, GATEWAY_NAMES.prompts, PromptManifests)),
  ],
  observe: (key, observer) => {
    const { namespace, name } = splitKey(key);
    const manifests = observer.caches.of<PromptManifest & KubeObject>(PromptManifests);
    const rendered = observer.caches
      .of<KubeObject & { data?: Record<string, string> }>(ConfigMaps)
      .get(namespace, GATEWAY_NAMES.prompts);
    return {
      manifest: manifests.get(namespace, name),
      manifests: manifests.list(namespace),
      renderedPrompts: rendered?.data ?? undefined,
      now: observer.now(),
    };
  },
  reconcile: reconcilePromptManifest,
};
