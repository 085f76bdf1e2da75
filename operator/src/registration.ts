/**
 * What a controller declares about itself, in one place beside its pure reconcile function
 * (controller-runtime's `SetupWithManager` with its builder's `For().Owns().Watches()`): the kind
 * whose objects are its keys, the children it owns, the changes that enqueue its keys, what it
 * observes and how it reconciles. The manager (manager.ts) builds the informers, indexes,
 * controllers and the change → key mapping from the list in registrations.ts and nothing else,
 * so adding a kind is one registration file and one line there.
 */
import type { ReconcileResult } from './controllers/types.ts';
import type { Observer } from './observe.ts';
import type { Cache } from './runtime/informer.ts';
import type { KubeObject } from './runtime/objects.ts';
import type { ResourceType } from './runtime/resources.ts';

/** The informer caches, by resource type: every type some registration watches or owns. */
export interface Caches {
  /**
   * The cache of type, its objects read as T (what the API server holds for that type).
   * Throws for a type no registration watches or owns: what a controller reads, it watches.
   */
  of<T extends KubeObject = KubeObject>(type: ResourceType): Cache<T>;
}

/**
 * An index on the `for` kind's cache: the values under which an object is found. A method, so
 * a kind's index may take its own object type (the manager installs it on that kind only).
 */
export interface Index {
  readonly name: string;
  values(object: KubeObject): readonly string[];
}

/** A change of type enqueues the keys that `keys` returns (controller-runtime's `Watches`). */
export interface Watch {
  readonly type: ResourceType;
  keys(object: KubeObject, caches: Caches): Iterable<string>;
}

/** The children a controller renders (controller-runtime's `Owns`). */
export interface Ownership {
  /** The child types it renders; the runtime prunes among these only. */
  readonly types: readonly ResourceType[];
  /** The owner label value (`inference.enis.io/owner`) of key's children. */
  label(key: string): string;
  /** The key that owns child, if this controller owns it: a change to the child enqueues it. */
  ownerOf(child: KubeObject): string | undefined;
}

export interface Registration<Observed = unknown, Status = unknown> {
  /** Lowercase name of the controller and its queue, in metrics and logs. */
  readonly name: string;
  /**
   * The kind whose objects are the keys (`namespace/name`) and carry the status reconcile
   * returns (controller-runtime's `For`). Absent for a controller keyed otherwise: the
   * namespace's gateway writes no status.
   */
  readonly for?: ResourceType;
  /** Indexes on the `for` kind's cache, which other registrations' watches look objects up by. */
  readonly indexes?: readonly Index[];
  /** @default the `for` kind's ownership (children owned by reference), with no child types */
  readonly owns?: Ownership;
  /** The changes that enqueue keys, the `for` kind's own included. */
  readonly watches: readonly Watch[];
  /**
   * Every key there is, which a resync and a new leader enqueue.
   * @default the key of every object of the `for` kind
   */
  resyncKeys?(caches: Caches): Iterable<string>;
  /**
   * Reads what reconcile needs for key from the caches (no API calls, no decisions); async
   * only for what lives outside the caches (a TenantBudget's spend in Redis).
   */
  observe(key: string, observer: Observer): Observed | Promise<Observed>;
  /** The pure controller: no client, no clock. */
  reconcile(observed: Observed): ReconcileResult<Status>;
}
