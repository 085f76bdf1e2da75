/**
 * Writes status through the status subresource (server-side apply, the operator's field
 * manager), only when it differs from what the object carries, and never spec. Like the
 * applier, it remembers a write until the cache shows it, so a quick second pass does not
 * write the same status again.
 */
import { canonicalJson } from '../../../crds/canonical-json.ts';
import type { Cache } from './informer.ts';
import type { KubeClient } from './kube-client.ts';
import { isOlderVersion, type KubeObject } from './objects.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';

export class StatusWriter {
  readonly #client: KubeClient;
  readonly #written = new Map<string, { status: string; resourceVersion: string | undefined }>();

  constructor(client: KubeClient, informers: readonly Cache[]) {
    this.#client = client;
    for (const informer of informers) {
      informer.on((change, object) => {
        const key = `${informer.type.plural}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
        const memo = this.#written.get(key);
        if (memo === undefined) return;
        if (
          change === 'deleted' ||
          !isOlderVersion(object.metadata.resourceVersion, memo.resourceVersion)
        ) {
          this.#written.delete(key);
        }
      });
    }
  }

  /** Writes status on object unless it already carries it; returns whether it wrote. */
  async write(type: ResourceType, object: KubeObject, status: unknown): Promise<boolean> {
    const key = `${type.plural}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const text = canonicalJson(status);
    if (canonicalJson(object['status'] ?? {}) === text) return false;
    if (this.#written.get(key)?.status === text) return false;
    const result = await this.#client.apply(
      type,
      {
        apiVersion: apiVersionOf(type),
        kind: type.kind,
        metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? '' },
        status,
      },
      'status',
    );
    this.#written.set(key, { status: text, resourceVersion: result.metadata.resourceVersion });
    return true;
  }
}
