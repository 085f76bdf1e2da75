/**
 * Whether a live object already holds everything the operator would apply, so that a no-op
 * reconcile sends nothing. The API server adds defaults and drops zero values (`false`, `0`,
 * `""`, empty lists and maps are omitted), and rewrites quantities in canonical form
 * (`0.5` → `500m`); `covers` reads the live object with those rules in mind. Lists must match
 * length and order: the operator owns its lists whole.
 */
import { sameQuantity } from '../render/quantity.ts';

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A value the API server omits when serialising: false, 0, '', and empty lists and maps. */
export function isZero(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '')
    return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.values(value).every(isZero);
  return false;
}

/** Whether live holds desired: every field desired sets, with the same value. */
export function covers(live: unknown, desired: unknown, path: readonly string[] = []): boolean {
  if (desired === undefined) return true;
  if (live === undefined || live === null) return isZero(desired);
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((item, i) => covers(live[i], item, path));
  }
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([key, value]) =>
      covers(live[key], value, [...path, key]),
    );
  }
  if (live === desired) return true;
  // Quantities under resources (requests, limits) compare by amount.
  return path.includes('resources') && sameQuantity(live, desired);
}
