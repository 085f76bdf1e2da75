/** What every pure controller returns, and the observed pieces several of them share. */
import type { EventIntent } from '../runtime/events.ts';
import type { KeyedGauges } from '../runtime/metrics.ts';
import type { KubeObject } from '../runtime/objects.ts';

export interface ReconcileResult<Status> {
  /** The children this key should have, complete: the runtime applies them and prunes the rest. */
  desired: KubeObject[];
  /** The status to write; undefined when there is no object to write it on. */
  status?: Status;
  /** Reconcile again after this long even if nothing changes (waiting on the world). */
  requeueAfterMs?: number;
  /**
   * Events to record on the object besides condition transitions (which the runtime finds
   * itself). Recorded only when the status they come with is written, i.e. it changed: a pass
   * that changes nothing repeats no Event.
   */
  events?: readonly EventIntent[];
  /**
   * Events about a child (by kind and name), recorded on it when this pass applied a change to
   * it: for controllers with no object of their own (the namespace's gateway), and for what
   * happened to one child (a certificate issued). A pass that changes nothing repeats none.
   */
  childEvents?: readonly ChildEvent[];
  /**
   * This key's samples of the operator's gauges, complete: the runtime sets them and removes
   * the key's earlier samples that are not listed (a deleted object leaves no stale series).
   */
  gauges?: readonly GaugeSample[];
}

export interface ChildEvent {
  kind: string;
  name: string;
  event: EventIntent;
}

/** One value of a gauge of the operator's metrics (runtime/metrics.ts `KeyedGauges`). */
export interface GaugeSample {
  gauge: keyof KeyedGauges;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** Referenced objects of one namespace, as the caches hold them. */
export interface NamespaceRefs {
  /** Secret name → its data (base64 values). */
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** ConfigMap name → its data. */
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Names of the InferenceModels of the namespace. */
  models: ReadonlySet<string>;
  /** ... and of those that serve mTLS (spec.tls): their local targets need https and `tls`. */
  tlsModels?: ReadonlySet<string>;
  /** Environment of the gateway, from the operator's settings (`modelFrom.env` reads it). */
  gatewayEnv: Readonly<Record<string, string>>;
}

/** The value, or an error naming what was expected: for lookups that cannot miss. */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Missing ${what}.`);
  return value;
}

/** Oldest first (creationTimestamp, then name): the order in which conflicts are settled. */
export function byAge<T extends { metadata: { name: string; creationTimestamp?: string } }>(
  a: T,
  b: T,
): number {
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return at < bt ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
