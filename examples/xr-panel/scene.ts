/**
 * The panel's small scripted scene, in WebXR's reference space (metres, +y up, forward −z):
 * three anchors on a table 2 m ahead, the head at eye height, a right hand that points at
 * what the user picks, and a gaze that rests on an anchor or sweeps across the table.
 */
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface Anchor {
  id: string;
  label: string;
  pose: { position: Vec3; orientation: Quat };
  extent: Vec3;
}

const flat: Quat = [0, 0, 0, 1];
export const ANCHORS: Anchor[] = [
  { id: 'lamp-1', label: 'lamp', x: -0.5 },
  { id: 'vase-2', label: 'vase', x: 0 },
  { id: 'mug-3', label: 'mug', x: 0.5 },
].map(({ id, label, x }) => ({
  id,
  label,
  pose: { position: [x, 1, -2], orientation: flat },
  extent: [0.2, 0.2, 0.2],
}));

export const EYES: Vec3 = [0, 1, 0];
export const HAND: Vec3 = [0.2, 0.9, -0.3];
/** The sweep's period: the gaze crosses the table and back in this long. */
const SWEEP_MS = 4000;

export function toward(to: Vec3, from: Vec3): Vec3 {
  const d: Vec3 = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  const l = Math.hypot(...d);
  return [d[0] / l, d[1] / l, d[2] / l];
}

/** A rotation whose forward (−z) points along the unit direction `d` (yaw, then pitch). */
export function lookAlong(d: Vec3): Quat {
  const yaw = Math.atan2(-d[0], -d[2]);
  const pitch = Math.asin(d[1]);
  const [cy, sy, cp, sp] = [
    Math.cos(yaw / 2),
    Math.sin(yaw / 2),
    Math.cos(pitch / 2),
    Math.sin(pitch / 2),
  ];
  return [cy * sp, sy * cp, -sy * sp, cy * cp];
}

const centre = (id: string): Vec3 | undefined =>
  ANCHORS.find((anchor) => anchor.id === id)?.pose.position;

/** Where the gaze rests at `ms`: on the anchor `look` names, or sweeping the table. */
export function gazeTarget(look: string, ms: number): Vec3 {
  return centre(look) ?? [0.6 * Math.sin((2 * Math.PI * ms) / SWEEP_MS), 1, -2];
}

/** The right hand's target ray toward the anchor `point` names; none when it points at nothing. */
export function handPose(point: string): { position: Vec3; orientation: Quat } | undefined {
  const target = centre(point);
  return target === undefined
    ? undefined
    : { position: HAND, orientation: lookAlong(toward(target, HAND)) };
}

export interface Marks {
  referent: ReadonlySet<string>;
  overruled: ReadonlySet<string>;
  highlighted: ReadonlySet<string>;
  notes: ReadonlyMap<string, string>;
}

/** Draws the table as the head sees it: anchors, their marks, the gaze and the pointing hand. */
export function draw(canvas: HTMLCanvasElement, gaze: Vec3, point: string, marks: Marks): void {
  const g = canvas.getContext('2d');
  if (g === null) return;
  const scale = canvas.width / 1.6;
  // A point on the table's plane (z = −2) to canvas pixels.
  const at = ([x, y]: Vec3): [number, number] => [
    canvas.width / 2 + x * scale,
    canvas.height / 2 - (y - 1) * scale,
  ];
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = '14px system-ui, sans-serif';
  g.textAlign = 'center';
  for (const anchor of ANCHORS) {
    const [cx, cy] = at(anchor.pose.position);
    const side = anchor.extent[0] * scale;
    g.fillStyle = marks.highlighted.has(anchor.id) ? '#fde68a' : '#ffffff';
    g.fillRect(cx - side / 2, cy - side / 2, side, side);
    g.lineWidth = 3;
    g.setLineDash(marks.overruled.has(anchor.id) ? [6, 4] : []);
    g.strokeStyle = marks.referent.has(anchor.id)
      ? '#2563eb'
      : marks.overruled.has(anchor.id)
        ? '#9aa3ae'
        : '#5b6573';
    g.strokeRect(cx - side / 2, cy - side / 2, side, side);
    g.setLineDash([]);
    g.fillStyle = '#1d232b';
    g.fillText(anchor.label, cx, cy + side / 2 + 18);
    const note = marks.notes.get(anchor.id);
    if (note !== undefined) g.fillText(`“${note}”`, cx, cy - side / 2 - 10);
  }
  const target = centre(point);
  if (target !== undefined) {
    const [hx, hy] = [canvas.width / 2 + HAND[0] * scale * 2, canvas.height - 10];
    const [tx, ty] = at(target);
    g.strokeStyle = '#1f8a4c';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(hx, hy);
    g.lineTo(tx, ty);
    g.stroke();
  }
  const [gx, gy] = at(gaze);
  g.fillStyle = '#b42318';
  g.beginPath();
  g.arc(gx, gy, 6, 0, 2 * Math.PI);
  g.fill();
}
