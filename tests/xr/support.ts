import type { Quat, Vec3 } from '../../dataplane/src/engine/xr/geometry.ts';
import { VoiceClient, type Frame } from '../voice/support.ts';

/** The XR tests' scene: a lamp left, a vase centre and a mug right, on a table 2 m ahead. */
export const ANCHORS = [
  { id: 'lamp-1', label: 'lamp', position: [-0.5, 1, -2] },
  { id: 'vase-2', label: 'vase', position: [0, 1, -2] },
  { id: 'mug-3', label: 'mug', position: [0.5, 1, -2] },
].map(({ id, label, position }) => ({
  id,
  label,
  pose: { position, orientation: [0, 0, 0, 1] },
  extent: [0.2, 0.2, 0.2],
}));

export const EYES: Vec3 = [0, 1, 0];
export const HEAD = { position: EYES, orientation: [0, 0, 0, 1] as Quat };

/** The unit direction from `from` to `to`. */
export function toward(to: Vec3, from: Vec3 = EYES): Vec3 {
  const d: Vec3 = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  const l = Math.hypot(...d);
  return [d[0] / l, d[1] / l, d[2] / l];
}

/** A rotation whose forward (-z) points along the unit direction `d` (yaw and pitch). */
export function lookAlong(d: Vec3): Quat {
  const yaw = Math.atan2(-d[0], -d[2]);
  const pitch = Math.asin(d[1]);
  const [cy, sy, cp, sp] = [
    Math.cos(yaw / 2),
    Math.sin(yaw / 2),
    Math.cos(pitch / 2),
    Math.sin(pitch / 2),
  ];
  // yaw about y, then pitch about the local x.
  return [cy * sp, sy * cp, -sy * sp, cy * cp];
}

/** An XR socket client: the voice tests' recording client, with XR frames. */
export class XrClient extends VoiceClient {
  frame(type: string, data: unknown, ts: number): void {
    this.send({ type, data, ts });
  }

  async session(): Promise<Frame> {
    return this.next((frame) => frame.type === 'session');
  }
}
