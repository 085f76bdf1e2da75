/** Reading the five kinds back from the API server: objects, conditions, waits. */
import { GROUP, VERSION } from '../../crds/common.ts';
import { eventually, PLURALS, type Kind, type Loop } from './loop.ts';

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export interface Custom {
  apiVersion: string;
  kind: string;
  metadata: { name: string; generation?: number; resourceVersion?: string };
  spec: Record<string, unknown>;
  status?: { conditions?: Condition[]; [field: string]: unknown };
}

export async function getResource(loop: Loop, kind: Kind, name: string): Promise<Custom> {
  return (await loop.objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: loop.namespace,
    plural: PLURALS[kind],
    name,
  })) as Custom;
}

export async function listResources(loop: Loop, kind: Kind): Promise<Custom[]> {
  const list = (await loop.objects.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: loop.namespace,
    plural: PLURALS[kind],
  })) as { items: Custom[] };
  return list.items;
}

export function condition(object: Custom, type: string): Condition | undefined {
  return object.status?.conditions?.find((c) => c.type === type);
}

/** Resolves once the resource's condition has the status (and reason, when given). */
export async function waitForCondition(
  loop: Loop,
  kind: Kind,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 30_000,
): Promise<Custom> {
  return eventually(async () => {
    const object = await getResource(loop, kind, name);
    const c = condition(object, type);
    return c?.status === status && (reason === undefined || c.reason === reason)
      ? object
      : undefined;
  }, timeoutMs);
}
