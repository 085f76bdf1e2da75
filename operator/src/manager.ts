/**
 * The manager's wiring, derived from the registrations (registrations.ts) and nothing else:
 * one informer set per resource type they watch or own, the indexes they declare, one
 * controller each, and the mapping from every change to the keys it enqueues. A type that is
 * only owned is listed by the operator's managed-by label (only its own children matter); a
 * type also watched for another reason (a Secret a route references) is listed whole.
 */
import { ownedByReference } from './handlers.ts';
import { MANAGED_BY, MANAGER } from './render/labels.ts';
import type { Observer } from './observe.ts';
import type { Caches, Ownership, Registration } from './registration.ts';
import { Applier, OWNER_INDEX, ownerIndex } from './runtime/applier.ts';
import { Controller, type ControllerDeps } from './runtime/controller.ts';
import type { Cache } from './runtime/informer.ts';
import { InformerSet } from './runtime/informer-set.ts';
import type { KubeClient } from './runtime/kube-client.ts';
import type { Logger } from './runtime/log.ts';
import type { OperatorMetrics } from './runtime/metrics.ts';
import { objectKey, splitKey, type KubeObject } from './runtime/objects.ts';
import type { ResourceType } from './runtime/resources.ts';
import { StatusWriter } from './runtime/status-writer.ts';

/** One informer set to run: its type, and the label selector it lists by (if any). */
export interface InformerPlan {
  readonly type: ResourceType;
  readonly labelSelector?: string;
}

/** The ownership of a registration, defaulted for a kind that renders no children. */
export function ownershipOf(registration: Registration): Ownership {
  if (registration.owns !== undefined) return registration.owns;
  const kind = registration.for?.kind;
  if (kind === undefined)
    throw new Error(`Registration ${registration.name} needs \`for\` or \`owns\`.`);
  return ownedByReference(kind, []);
}

/**
 * The informers the registrations need, the `for` kinds first (in registration order), then the
 * other types in the order they are first named.
 */
export function planInformers(registrations: readonly Registration[]): InformerPlan[] {
  const watched = new Set<ResourceType>();
  const owned = new Set<ResourceType>();
  for (const registration of registrations) {
    if (registration.for !== undefined) watched.add(registration.for);
  }
  const order = [...watched];
  for (const registration of registrations) {
    for (const type of ownershipOf(registration).types) {
      owned.add(type);
      if (!order.includes(type)) order.push(type);
    }
    for (const { type } of registration.watches) {
      watched.add(type);
      if (!order.includes(type)) order.push(type);
    }
  }
  return order.map((type) =>
    watched.has(type) || !owned.has(type)
      ? { type }
      : { type, labelSelector: `${MANAGED_BY}=${MANAGER}` },
  );
}

/** The informer sets behind the caches, by type. */
export class InformerCaches implements Caches {
  readonly #sets: ReadonlyMap<ResourceType, InformerSet>;

  constructor(sets: ReadonlyMap<ResourceType, InformerSet>) {
    this.#sets = sets;
  }

  of<T extends KubeObject = KubeObject>(type: ResourceType): Cache<T> {
    // An informer holds what the API server returns for its type; T names that shape.
    return this.set(type) as unknown as Cache<T>;
  }

  set(type: ResourceType): InformerSet {
    const set = this.#sets.get(type);
    if (set === undefined) throw new Error(`No registration watches or owns ${type.plural}.`);
    return set;
  }

  /** Every informer set, in plan order. */
  get all(): InformerSet[] {
    return [...this.#sets.values()];
  }
}

export interface InformerDeps {
  client: KubeClient;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Watched namespaces; empty: all. */
  namespaces: readonly string[];
}

/** The informer sets of the plan, with the owner index on owned types and declared indexes. */
export function createCaches(
  registrations: readonly Registration[],
  deps: InformerDeps,
): InformerCaches {
  const { namespaces, ...options } = deps;
  const sets = new Map<ResourceType, InformerSet>();
  for (const { type, labelSelector } of planInformers(registrations)) {
    sets.set(
      type,
      new InformerSet(
        { ...options, type, ...(labelSelector === undefined ? {} : { labelSelector }) },
        namespaces,
      ),
    );
  }
  const caches = new InformerCaches(sets);
  for (const type of ownedTypes(registrations)) caches.set(type).addIndex(OWNER_INDEX, ownerIndex);
  for (const registration of registrations) {
    for (const index of registration.indexes ?? []) {
      if (registration.for === undefined)
        throw new Error(`${registration.name}: index without for`);
      caches.set(registration.for).addIndex(index.name, (object) => index.values(object));
    }
  }
  return caches;
}

function ownedTypes(registrations: readonly Registration[]): Set<ResourceType> {
  return new Set(registrations.flatMap((r) => ownershipOf(r).types));
}

export interface ControllerSettings {
  client: KubeClient;
  events: ControllerDeps['events'];
  metrics: OperatorMetrics;
  logger: Logger;
  /** Keys each controller reconciles at once. */
  concurrency: number;
  /** One span per reconcile when set. */
  tracer?: ControllerDeps['tracer'];
}

/**
 * One controller per registration, sharing one applier (which prunes among the owned types)
 * and one status writer (for the `for` kinds).
 */
export function createControllers(
  registrations: readonly Registration[],
  caches: InformerCaches,
  observer: Observer,
  settings: ControllerSettings,
): Controller[] {
  const { client, ...rest } = settings;
  const owned = new Map<ResourceType, Cache>(
    [...ownedTypes(registrations)].map((type) => [type, caches.of(type)]),
  );
  const deps: ControllerDeps = {
    ...rest,
    applier: new Applier(client, owned, settings.logger),
    statusWriter: new StatusWriter(
      client,
      registrations.flatMap((r) => (r.for === undefined ? [] : [caches.of(r.for)])),
    ),
  };
  return registrations.map((registration) => {
    const { for: type } = registration;
    const owns = ownershipOf(registration);
    return new Controller(
      {
        name: registration.name,
        observe: (key) => registration.observe(key, observer),
        reconcile: (observed) => registration.reconcile(observed),
        ...(type === undefined
          ? {}
          : {
              targetType: type,
              target: (key: string) => {
                const { namespace, name } = splitKey(key);
                return caches.of(type).get(namespace, name);
              },
            }),
        children: { owner: (key) => owns.label(key), types: owns.types },
      },
      deps,
    );
  });
}

/**
 * Subscribes every registration's watches, and its owned types, to the informers: a change
 * enqueues the keys they map it to. `controllers` are in registration order.
 */
export function enqueueOnChange(
  registrations: readonly Registration[],
  controllers: readonly Controller[],
  caches: Caches,
): void {
  registrations.forEach((registration, i) => {
    const controller = controllers[i];
    if (controller === undefined) throw new Error(`No controller for ${registration.name}.`);
    for (const watch of registration.watches) {
      caches.of(watch.type).on((_change, object) => {
        for (const key of watch.keys(object, caches)) controller.enqueue(key);
      });
    }
    const owns = ownershipOf(registration);
    for (const type of owns.types) {
      caches.of(type).on((_change, child) => {
        const key = owns.ownerOf(child);
        if (key !== undefined) controller.enqueue(key);
      });
    }
  });
}

/** Enqueues every key there is: what a resync (and a new leader) reconciles. */
export function enqueueAll(
  registrations: readonly Registration[],
  controllers: readonly Controller[],
  caches: Caches,
): void {
  registrations.forEach((registration, i) => {
    const keys =
      registration.resyncKeys?.(caches) ??
      (registration.for === undefined ? [] : caches.of(registration.for).list().map(objectKey));
    for (const key of keys) controllers[i]?.enqueue(key);
  });
}
