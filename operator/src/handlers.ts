/**
 * The pieces registrations are made of (controller-runtime's handler package): which keys a
 * change enqueues, and who owns a child. The queues carry keys, never events: a change only
 * says which keys must be reconciled again; what changed is read from the caches then.
 */
import { MANAGED_BY, MANAGER, OWNER_LABEL, ownerValue } from './render/labels.ts';
import { objectKey, splitKey, type KubeObject } from './runtime/objects.ts';
import type { ResourceType } from './runtime/resources.ts';
import type { Caches, Ownership, Watch } from './registration.ts';

type Keys = (object: KubeObject, caches: Caches) => Iterable<string>;

/** Changes of type enqueue what keys returns. */
export function watch(type: ResourceType, keys: Keys): Watch {
  return { type, keys };
}

const namespaceOf = (object: KubeObject): string => object.metadata.namespace ?? '';

/** The changed object's own key. */
export const ownKey: Keys = (object) => [objectKey(object)];

/** Every object of type in the changed object's namespace: peers that decide together. */
export function allInNamespace(type: ResourceType): Keys {
  return (object, caches) => caches.of(type).list(namespaceOf(object)).map(objectKey);
}

/** The objects of type whose index holds the changed object's key: those that reference it. */
export function referencing(type: ResourceType, indexName: string): Keys {
  return (object, caches) => caches.of(type).byIndex(indexName, objectKey(object)).map(objectKey);
}

/** Whether object is a child of the namespace's owner `owner` (by its labels). */
export function isChildOf(object: KubeObject, owner: string): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[MANAGED_BY] === MANAGER && labels[OWNER_LABEL] === owner;
}

/**
 * The child named name of the namespace's owner `owner` changed: every object of type in its
 * namespace, whose status reports what was rendered there.
 */
export function renderedInto(owner: string, name: string, type: ResourceType): Keys {
  const all = allInNamespace(type);
  return (object, caches) =>
    object.metadata.name === name && isChildOf(object, owner) ? all(object, caches) : [];
}

/**
 * Children of one object of kind: they carry its owner label and a controller ownerReference
 * to it (so garbage collection removes them too); a changed child enqueues that object.
 */
export function ownedByReference(kind: string, types: readonly ResourceType[]): Ownership {
  return {
    types,
    label: (key) => ownerValue(kind, splitKey(key).name),
    ownerOf: (child) => {
      const ref = child.metadata.ownerReferences?.find((r) => r.kind === kind);
      return ref === undefined ? undefined : `${namespaceOf(child)}/${ref.name}`;
    },
  };
}

/**
 * Children shared by a namespace, marked by the owner label alone; a changed child enqueues the
 * namespace's key.
 */
export function ownedByLabel(
  owner: string,
  types: readonly ResourceType[],
  keyOf: (namespace: string) => string,
): Ownership {
  return {
    types,
    label: () => owner,
    ownerOf: (child) => (isChildOf(child, owner) ? keyOf(namespaceOf(child)) : undefined),
  };
}
