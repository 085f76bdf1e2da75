/**
 * Server-side apply of children, and pruning. A child is applied only when it would change:
 * the hash of what was last applied rides on the child (annotation), and the live object (from
 * the informer cache) must still hold every field the operator sets. So a no-op reconcile
 * writes nothing, a hand edit or deletion is taken back on the next pass, and a change of the
 * desired state re-applies. Right after an apply the cache may lag; the applier remembers what
 * it applied until the cache catches up, so a quick second reconcile does not apply it again.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../crds/canonical-json.ts';
import { APPLIED_HASH_ANNOTATION, MANAGED_BY, MANAGER, OWNER_LABEL } from '../render/labels.ts';
import type { Cache } from './informer.ts';
import { isNotFound, type KubeClient } from './kube-client.ts';
import type { Logger } from './log.ts';
import { isOlderVersion, type KubeObject } from './objects.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { covers } from './semantic.ts';

/** Index of child informers: `namespace/owner-label-value` of objects the operator manages. */
export const OWNER_INDEX = 'owner';

export function ownerIndex(object: KubeObject): string[] {
  const labels = object.metadata.labels ?? {};
  const owner = labels[OWNER_LABEL];
  return labels[MANAGED_BY] === MANAGER && owner !== undefined
    ? [`${object.metadata.namespace ?? ''}/${owner}`]
    : [];
}

export function appliedHash(desired: KubeObject): string {
  return `sha256:${createHash('sha256').update(canonicalJson(desired)).digest('hex').slice(0, 32)}`;
}

interface Applied {
  hash: string;
  resourceVersion: string | undefined;
}

export class Applier {
  readonly #client: KubeClient;
  readonly #informers: ReadonlyMap<ResourceType, Cache>;
  readonly #logger: Logger;
  readonly #applied = new Map<string, Applied>();

  constructor(client: KubeClient, informers: ReadonlyMap<ResourceType, Cache>, logger: Logger) {
    this.#client = client;
    this.#informers = informers;
    this.#logger = logger;
    for (const [type, informer] of informers) {
      informer.on((change, object) => {
        const key = memoKey(type, object);
        const memo = this.#applied.get(key);
        if (memo === undefined) return;
        // The cache caught up with (or went past) what was applied: trust it from now on.
        if (
          change === 'deleted' ||
          !isOlderVersion(object.metadata.resourceVersion, memo.resourceVersion)
        ) {
          this.#applied.delete(key);
        }
      });
    }
  }

  #cache(type: ResourceType): Cache {
    const cache = this.#informers.get(type);
    if (cache === undefined) throw new Error(`No informer for ${type.plural}`);
    return cache;
  }

  #typeOf(object: KubeObject): ResourceType {
    for (const type of this.#informers.keys()) {
      if (apiVersionOf(type) === object.apiVersion && type.kind === object.kind) return type;
    }
    throw new Error(`No informer for ${object.apiVersion ?? ''} ${object.kind ?? ''}`);
  }

  /** Applies desired when the live object does not already hold it; returns whether it wrote. */
  async apply(desired: KubeObject): Promise<boolean> {
    const type = this.#typeOf(desired);
    const hash = appliedHash(desired);
    const body: KubeObject = {
      ...desired,
      metadata: {
        ...desired.metadata,
        annotations: { ...desired.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash },
      },
    };
    const key = memoKey(type, desired);
    const live = this.#cache(type).get(desired.metadata.namespace ?? '', desired.metadata.name);
    if (this.#applied.get(key)?.hash === hash) return false;
    if (
      live !== undefined &&
      live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash &&
      covers(live, body)
    ) {
      return false;
    }
    const result = await this.#client.apply(type, body);
    this.#applied.set(key, { hash, resourceVersion: result.metadata.resourceVersion });
    this.#logger.info(`Applied ${type.kind}`, {
      namespace: desired.metadata.namespace,
      name: desired.metadata.name,
      resourceVersion: result.metadata.resourceVersion,
    });
    return true;
  }

  /**
   * Deletes the children labelled with owner in namespace that are not in keep (`Kind/name`).
   * Returns how many it deleted.
   */
  async prune(
    namespace: string,
    owner: string,
    keep: ReadonlySet<string>,
    types: readonly ResourceType[],
  ): Promise<number> {
    let deleted = 0;
    for (const type of types) {
      const informer = this.#cache(type);
      for (const child of informer.byIndex(OWNER_INDEX, `${namespace}/${owner}`)) {
        if (keep.has(`${type.kind}/${child.metadata.name}`)) continue;
        try {
          await this.#client.delete(type, namespace, child.metadata.name, {
            uid: child.metadata.uid,
          });
          deleted += 1;
          this.#logger.info(`Pruned ${type.kind}`, { namespace, name: child.metadata.name, owner });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.#applied.delete(memoKey(type, child));
      }
    }
    return deleted;
  }
}

function memoKey(type: ResourceType, object: KubeObject): string {
  return `${type.plural}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}
