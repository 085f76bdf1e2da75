import {
  angleTo,
  length,
  rayBoxDistance,
  sub,
  unrotate,
  type Pose,
  type Ray,
  type Vec3,
} from './geometry.ts';

/** A spatial anchor the client registered: what "this" and "the left one" can name. */
export interface Anchor {
  readonly id: string;
  readonly label: string;
  /** Its centre and orientation in the scene. */
  readonly pose: Pose;
  /** Its box's full size along its local x, y, z, metres. */
  readonly extent: Vec3;
}

export type Hand = 'left' | 'right';

/** What the session saw at one moment, each interpolated from its frames (scene.ts). */
export interface Evidence {
  readonly head?: Pose | undefined;
  readonly gaze?: Ray | undefined;
  /** The ray of a hand holding a `point` gesture at that moment. */
  readonly pointing?: { readonly hand: Hand; readonly ray: Ray } | undefined;
}

export type ReferentSource = 'point' | 'gaze' | 'hand';

export interface Referent {
  readonly anchor_id: string;
  readonly label: string;
  readonly source: ReferentSource;
  /** Along the ray to where it enters the box, or to the centre for a near miss. */
  readonly distance_m: number;
  /** Between the ray and the direction to the anchor's centre. */
  readonly angle_deg: number;
}

/**
 * Which rule decided (docs/xr.md, "Resolving a referent"):
 * - `pointing`: only the pointing ray found an anchor;
 * - `gaze`: no hand was pointing (or its ray found nothing), the gaze ray found one;
 * - `agree`: both rays found the same anchor;
 * - `pointing_over_gaze`: they found different anchors and the pointing hand wins;
 * - `spatial_word`: "the left one" / "the right one" chose among the anchors near the ray;
 * - `hand`: a grab, the anchor at the hand;
 * - `none`: nothing was found.
 */
export type ResolutionRule =
  'pointing' | 'gaze' | 'agree' | 'pointing_over_gaze' | 'spatial_word' | 'hand' | 'none';

export interface Resolution {
  readonly referents: readonly Referent[];
  readonly rule: ResolutionRule;
  /** When the rays disagreed: what the losing one (gaze) found. */
  readonly overruled?: Referent | undefined;
}

/** A ray's near-miss cone: an anchor this close to the ray counts as looked or pointed at. */
export const NEAR_DEG = 4;
/** The cone "the left one" / "the right one" choose within. */
export const SPATIAL_DEG = 25;
/** A grab takes the anchor whose box is within this distance of the hand. */
export const GRAB_M = 0.15;

/** The spatial word an utterance holds, if any. */
export function spatialWord(text: string): 'left' | 'right' | undefined {
  if (/\b(the left|leftmost|on the left|left[- ]hand)\b/i.test(text)) return 'left';
  if (/\b(the right|rightmost|on the right|right[- ]hand)\b/i.test(text)) return 'right';
  return undefined;
}

/**
 * The anchors a ray finds, best first: boxes it enters (nearest first), then near misses
 * within `coneDeg` of their centres (smallest angle first). Ties break on the anchor id, so the
 * answer does not depend on registration order.
 */
export function hits(
  ray: Ray,
  anchors: readonly Anchor[],
  source: ReferentSource,
  coneDeg = NEAR_DEG,
): Referent[] {
  const entered: Referent[] = [];
  const near: Referent[] = [];
  for (const anchor of anchors) {
    const angle = angleTo(ray, anchor.pose.position);
    const distance = rayBoxDistance(ray, anchor.pose, anchor.extent);
    const referent = (d: number): Referent => ({
      anchor_id: anchor.id,
      label: anchor.label,
      source,
      distance_m: round(d),
      angle_deg: round(angle),
    });
    if (distance !== undefined) entered.push(referent(distance));
    else if (angle <= coneDeg) near.push(referent(length(sub(anchor.pose.position, ray.origin))));
  }
  const byId = (a: Referent, b: Referent) => (a.anchor_id < b.anchor_id ? -1 : 1);
  entered.sort((a, b) => a.distance_m - b.distance_m || byId(a, b));
  near.sort((a, b) => a.angle_deg - b.angle_deg || byId(a, b));
  return [...entered, ...near];
}

/**
 * What an utterance refers to, from the evidence at its moment. A pure function.
 *
 * The rule for rays that disagree: a hand holding a `point` gesture is deliberate, a gaze
 * wanders (saccades, reading the answer), so the pointing ray wins and the gaze's anchor is
 * reported as `overruled`. A spatial word ("the left one") then picks, among the anchors
 * within 25° of the winning ray, the leftmost or rightmost as the head sees them.
 */
export function resolveUtterance(
  anchors: readonly Anchor[],
  evidence: Evidence,
  text: string,
): Resolution {
  const pointed =
    evidence.pointing === undefined ? [] : hits(evidence.pointing.ray, anchors, 'point');
  const gazed = evidence.gaze === undefined ? [] : hits(evidence.gaze, anchors, 'gaze');
  const word = spatialWord(text);
  const ray =
    pointed.length > 0 ? evidence.pointing?.ray : (evidence.gaze ?? evidence.pointing?.ray);
  if (word !== undefined && ray !== undefined) {
    const source: ReferentSource = ray === evidence.gaze ? 'gaze' : 'point';
    const chosen = sideMost(hits(ray, anchors, source, SPATIAL_DEG), anchors, evidence, ray, word);
    if (chosen !== undefined) return { referents: [chosen], rule: 'spatial_word' };
  }
  const point = pointed[0];
  const gaze = gazed[0];
  if (point !== undefined && gaze !== undefined) {
    if (point.anchor_id === gaze.anchor_id) return { referents: [point], rule: 'agree' };
    return { referents: [point], rule: 'pointing_over_gaze', overruled: gaze };
  }
  if (point !== undefined) return { referents: [point], rule: 'pointing' };
  if (gaze !== undefined) return { referents: [gaze], rule: 'gaze' };
  return { referents: [], rule: 'none' };
}

/**
 * What a gesture takes: a `grab` the anchor at the hand's position; a `point` or `pinch` the
 * first anchor along the hand's ray.
 */
export function resolveGesture(
  anchors: readonly Anchor[],
  kind: 'point' | 'pinch' | 'grab',
  hand: Pose | undefined,
  ray: Ray | undefined,
): Resolution {
  if (kind === 'grab') {
    if (hand === undefined) return { referents: [], rule: 'none' };
    const held = anchors
      .map((anchor) => ({ anchor, gap: boxGap(hand.position, anchor) }))
      .filter(({ gap }) => gap <= GRAB_M)
      .sort((a, b) => a.gap - b.gap || (a.anchor.id < b.anchor.id ? -1 : 1))[0];
    if (held === undefined) return { referents: [], rule: 'none' };
    const { anchor } = held;
    return {
      referents: [
        {
          anchor_id: anchor.id,
          label: anchor.label,
          source: 'hand',
          distance_m: round(held.gap),
          angle_deg: 0,
        },
      ],
      rule: 'hand',
    };
  }
  const found = ray === undefined ? undefined : hits(ray, anchors, 'point')[0];
  return found === undefined
    ? { referents: [], rule: 'none' }
    : { referents: [found], rule: 'pointing' };
}

/** An anchor's centre in the head's frame (x right, y up, -z ahead); the scene's without one. */
export function headLocal(point: Vec3, head: Pose | undefined): Vec3 {
  return head === undefined ? point : unrotate(head.orientation, sub(point, head.position));
}

function sideMost(
  candidates: readonly Referent[],
  anchors: readonly Anchor[],
  evidence: Evidence,
  ray: Ray,
  side: 'left' | 'right',
): Referent | undefined {
  const head = evidence.head ?? { position: ray.origin, orientation: [0, 0, 0, 1] as const };
  const x = (referent: Referent) => {
    const anchor = anchors.find((a) => a.id === referent.anchor_id);
    return anchor === undefined ? 0 : headLocal(anchor.pose.position, head)[0];
  };
  const sorted = [...candidates].sort((a, b) => (side === 'left' ? x(a) - x(b) : x(b) - x(a)));
  return sorted[0];
}

/** Distance from a point to an anchor's box (0 inside). */
function boxGap(point: Vec3, anchor: Anchor): number {
  const local = unrotate(anchor.pose.orientation, sub(point, anchor.pose.position));
  const outside = ([0, 1, 2] as const).map((axis) =>
    Math.max(0, Math.abs(local[axis]) - anchor.extent[axis] / 2),
  );
  return Math.hypot(...outside);
}

const round = (value: number) => Math.round(value * 1000) / 1000;
