/**
 * The little 3D algebra fusion needs, as pure functions over plain tuples. The scene's frame is
 * WebXR's: metres, right-handed, +y up, a pose's forward is its local -z.
 */

export type Vec3 = readonly [number, number, number];
/** A unit quaternion `[x, y, z, w]`. */
export type Quat = readonly [number, number, number, number];

export interface Pose {
  readonly position: Vec3;
  readonly orientation: Quat;
}

export interface Ray {
  readonly origin: Vec3;
  /** Unit length. */
  readonly direction: Vec3;
}

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const length = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

/** `a` scaled to unit length; the zero vector stays zero. */
export function normalize(a: Vec3): Vec3 {
  const l = length(a);
  return l === 0 ? [0, 0, 0] : scale(a, 1 / l);
}

export const lerp = (a: Vec3, b: Vec3, t: number): Vec3 => add(a, scale(sub(b, a), t));

/** Spherical interpolation of unit quaternions along the shorter arc. */
export function slerp(a: Quat, b: Quat, t: number): Quat {
  let cos = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  const sign = cos < 0 ? -1 : 1;
  cos *= sign;
  let wa = 1 - t;
  let wb = t * sign;
  if (cos < 0.9995) {
    const angle = Math.acos(cos);
    const sin = Math.sin(angle);
    wa = Math.sin((1 - t) * angle) / sin;
    wb = (Math.sin(t * angle) / sin) * sign;
  }
  const q: Quat = [
    a[0] * wa + b[0] * wb,
    a[1] * wa + b[1] * wb,
    a[2] * wa + b[2] * wb,
    a[3] * wa + b[3] * wb,
  ];
  const l = Math.hypot(...q);
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}

/** Interpolates two unit directions (normalised lerp, exact at the ends). */
export const nlerp = (a: Vec3, b: Vec3, t: number): Vec3 => normalize(lerp(a, b, t));

/** `v` rotated by the unit quaternion `q`. */
export function rotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  const u: Vec3 = [x, y, z];
  const t = scale(cross(u, v), 2);
  return add(add(v, scale(t, w)), cross(u, t));
}

/** `v` in the frame of a pose whose orientation is `q` (the inverse rotation). */
export const unrotate = (q: Quat, v: Vec3): Vec3 => rotate([-q[0], -q[1], -q[2], q[3]], v);

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** A pose's forward ray (its local -z). */
export function forwardRay(pose: Pose): Ray {
  return { origin: pose.position, direction: normalize(rotate(pose.orientation, [0, 0, -1])) };
}

/** The angle in degrees between the ray and the direction from its origin to `point`. */
export function angleTo(ray: Ray, point: Vec3): number {
  const to = normalize(sub(point, ray.origin));
  const cos = Math.min(1, Math.max(-1, dot(ray.direction, to)));
  return (Math.acos(cos) * 180) / Math.PI;
}

/**
 * Where the ray enters an oriented box (centre `pose`, full size `extent`): its distance along
 * the ray, or undefined when it misses or the box lies behind. A ray starting inside hits at 0.
 */
export function rayBoxDistance(ray: Ray, pose: Pose, extent: Vec3): number | undefined {
  const origin = unrotate(pose.orientation, sub(ray.origin, pose.position));
  const direction = unrotate(pose.orientation, ray.direction);
  let near = 0;
  let far = Number.POSITIVE_INFINITY;
  for (const axis of [0, 1, 2] as const) {
    const half = extent[axis] / 2;
    const o = origin[axis];
    const d = direction[axis];
    if (Math.abs(d) < 1e-12) {
      if (o < -half || o > half) return undefined;
      continue;
    }
    const t1 = (-half - o) / d;
    const t2 = (half - o) / d;
    near = Math.max(near, Math.min(t1, t2));
    far = Math.min(far, Math.max(t1, t2));
    if (near > far) return undefined;
  }
  return near;
}
