import {
  forwardRay,
  lerp,
  nlerp,
  normalize,
  slerp,
  type Pose,
  type Quat,
  type Ray,
  type Vec3,
} from './geometry.ts';
import type { Anchor, Evidence, Hand } from './resolve.ts';
import { Track, type Codec } from './track.ts';

/** How far back the window reaches behind the newest frame of each stream. */
export const WINDOW_MS = 5000;
/** The most samples a stream keeps (the window at 120 Hz). */
export const WINDOW_SAMPLES = 600;
/** A sample stands for a moment this far outside its stream's window ends. */
export const HOLD_MS = 100;
/** The most anchors a session holds. */
export const MAX_ANCHORS = 512;
const GESTURE_EVENTS = 64;

export type GestureKind = 'point' | 'pinch' | 'grab';
interface GestureEvent {
  ts: number;
  kind: GestureKind;
  hand: Hand;
  phase: 'start' | 'end';
}

type Samples<T> = readonly { ts: number; value: T }[];

/** A scene as JSON: what a session's copy for another replica holds (sessions.ts). */
export interface SceneSnapshot {
  anchors: Anchor[];
  head: Samples<Pose>;
  gaze: Samples<Ray>;
  left: Samples<Pose>;
  right: Samples<Pose>;
  gestures: GestureEvent[];
  speechStartTs?: number;
}

function fill<T>(track: Track<T>, samples: Samples<T>): void {
  for (const { ts, value } of samples) track.push(ts, value);
}

/** The vector, or quaternion, a codec wrote at `at`. */
const vec3At = (from: Float64Array, at: number): Vec3 => [
  from[at] ?? 0,
  from[at + 1] ?? 0,
  from[at + 2] ?? 0,
];
const quatAt = (from: Float64Array, at: number): Quat => [...vec3At(from, at), from[at + 3] ?? 1];

const poseCodec: Codec<Pose> = {
  width: 7,
  write: ({ position, orientation }, into, at) => {
    into.set(position, at);
    into.set(orientation, at + 3);
  },
  read: (from, at) => ({ position: vec3At(from, at), orientation: quatAt(from, at + 3) }),
};
const rayCodec: Codec<Ray> = {
  width: 6,
  write: ({ origin, direction }, into, at) => {
    into.set(origin, at);
    into.set(direction, at + 3);
  },
  read: (from, at) => ({ origin: vec3At(from, at), direction: vec3At(from, at + 3) }),
};

const mixPose = (a: Pose, b: Pose, t: number): Pose => ({
  position: lerp(a.position, b.position, t),
  orientation: slerp(a.orientation, b.orientation, t),
});
const mixRay = (a: Ray, b: Ray, t: number): Ray => ({
  origin: lerp(a.origin, b.origin, t),
  direction: nlerp(a.direction, b.direction, t),
});

/** A pose as it arrived, its rotation normalised; undefined for a zero quaternion. */
export function normalPose(pose: { position: Vec3; orientation: Quat }): Pose | undefined {
  const l = Math.hypot(...pose.orientation);
  if (l < 1e-6) return undefined;
  const [x, y, z, w] = pose.orientation;
  return { position: pose.position, orientation: [x / l, y / l, z / l, w / l] };
}

/**
 * What a session knows of the scene: the registered anchors and a bounded window of head pose,
 * gaze rays, hand poses and gesture events, in the client's clock. Frames come in admitted
 * (in order, not stale: timing.ts); `evidenceAt` reads the window at any moment in it.
 */
export class Scene {
  readonly anchors = new Map<string, Anchor>();
  readonly head = new Track(poseCodec, mixPose, WINDOW_MS, WINDOW_SAMPLES);
  readonly gaze = new Track(rayCodec, mixRay, WINDOW_MS, WINDOW_SAMPLES);
  readonly hands: Record<Hand, Track<Pose>> = {
    left: new Track(poseCodec, mixPose, WINDOW_MS, WINDOW_SAMPLES),
    right: new Track(poseCodec, mixPose, WINDOW_MS, WINDOW_SAMPLES),
  };
  readonly #gestures: GestureEvent[] = [];
  /** The onset of the utterance in progress (a `voice_vad` start), in the client's clock. */
  speechStartTs: number | undefined;

  /** The anchors, the window and the gestures, as JSON. */
  snapshot(): SceneSnapshot {
    return {
      anchors: [...this.anchors.values()],
      head: this.head.samples(),
      gaze: this.gaze.samples(),
      left: this.hands.left.samples(),
      right: this.hands.right.samples(),
      gestures: [...this.#gestures],
      ...(this.speechStartTs === undefined ? {} : { speechStartTs: this.speechStartTs }),
    };
  }

  /** A scene from its snapshot, within the same bounds as one built frame by frame. */
  static restore(snapshot: SceneSnapshot): Scene {
    const scene = new Scene();
    scene.upsert(snapshot.anchors.slice(0, MAX_ANCHORS));
    fill(scene.head, snapshot.head);
    fill(scene.gaze, snapshot.gaze);
    fill(scene.hands.left, snapshot.left);
    fill(scene.hands.right, snapshot.right);
    for (const event of snapshot.gestures) scene.gesture(event);
    scene.speechStartTs = snapshot.speechStartTs;
    return scene;
  }

  /** Registers or replaces anchors; false (none kept) when the session would pass its bound. */
  upsert(anchors: readonly Anchor[]): boolean {
    const added = anchors.filter((anchor) => !this.anchors.has(anchor.id)).length;
    if (this.anchors.size + added > MAX_ANCHORS) return false;
    for (const anchor of anchors) this.anchors.set(anchor.id, anchor);
    return true;
  }

  gesture(event: GestureEvent): void {
    this.#gestures.push(event);
    if (this.#gestures.length > GESTURE_EVENTS) this.#gestures.shift();
  }

  /** The hand's target ray at `ts`, from its pose window. */
  handRay(hand: Hand, ts: number): Ray | undefined {
    const pose = this.hands[hand].at(ts, HOLD_MS);
    return pose === undefined ? undefined : forwardRay(pose);
  }

  /** The hand holding `kind` at `ts` (the latest to start, if both do). */
  holding(kind: GestureKind, ts: number): { hand: Hand; since: number } | undefined {
    let found: { hand: Hand; since: number } | undefined;
    for (const hand of ['left', 'right'] as const) {
      const last = this.#gestures
        .filter((e) => e.hand === hand && e.kind === kind && e.ts <= ts)
        .at(-1);
      if (last?.phase === 'start' && (found === undefined || last.ts > found.since))
        found = { hand, since: last.ts };
    }
    return found;
  }

  /**
   * The evidence for an utterance spoken from `startTs` to `endTs`, read at its onset:
   * head and gaze interpolated at `startTs`; the pointing hand is one holding `point` then, or
   * else one that started pointing before the utterance ended, its ray at that start.
   */
  evidenceAt(startTs: number, endTs = startTs): Evidence {
    const head = this.head.at(startTs, HOLD_MS);
    const gazeRay = this.gaze.at(startTs, HOLD_MS);
    const gaze =
      gazeRay === undefined
        ? undefined
        : { origin: gazeRay.origin, direction: normalize(gazeRay.direction) };
    let pointing: Evidence['pointing'];
    const held = this.holding('point', startTs);
    if (held !== undefined) {
      const ray = this.handRay(held.hand, startTs);
      if (ray !== undefined) pointing = { hand: held.hand, ray };
    } else {
      const later = this.#gestures.find(
        (e) => e.kind === 'point' && e.phase === 'start' && e.ts > startTs && e.ts <= endTs,
      );
      const ray = later === undefined ? undefined : this.handRay(later.hand, later.ts);
      if (later !== undefined && ray !== undefined) pointing = { hand: later.hand, ray };
    }
    return { head, gaze, pointing };
  }
}
