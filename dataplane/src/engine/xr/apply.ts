import type { XrUplinkFrame } from './frames.ts';
import { normalize, type Pose } from './geometry.ts';
import { normalPose, type Scene } from './scene.ts';

/** Why an uplink frame was not taken: the field at fault (a JSON pointer) and what is wrong. */
export interface Fault {
  field: string;
  message: string;
}

export type SceneFrame = Extract<XrUplinkFrame, { type: 'pose' | 'gaze' | 'gesture' }>;

/**
 * Takes a pose, gaze or gesture frame into the scene's window, rotations and directions
 * normalised. A frame not after its stream's newest is ignored (the caller's timing has
 * counted it). Returns a fault for a zero rotation or direction, nothing of it kept.
 */
export function applyFrame(scene: Scene, frame: SceneFrame): Fault | undefined {
  switch (frame.type) {
    case 'pose': {
      const parts: { part: 'head' | 'left_hand' | 'right_hand'; pose: Pose }[] = [];
      for (const part of ['head', 'left_hand', 'right_hand'] as const) {
        const given = frame.data[part];
        if (given === undefined) continue;
        const pose = normalPose(given);
        if (pose === undefined)
          return {
            field: `/data/${part}/orientation`,
            message: 'orientation is a zero quaternion.',
          };
        parts.push({ part, pose });
      }
      for (const { part, pose } of parts) {
        const track =
          part === 'head' ? scene.head : scene.hands[part === 'left_hand' ? 'left' : 'right'];
        track.push(frame.ts, pose);
      }
      return undefined;
    }
    case 'gaze': {
      const direction = normalize(frame.data.direction);
      if (direction.every((v) => v === 0))
        return { field: '/data/direction', message: 'direction is a zero vector.' };
      scene.gaze.push(frame.ts, { origin: frame.data.origin, direction });
      return undefined;
    }
    case 'gesture': {
      const { kind, hand, phase } = frame.data;
      scene.gesture({ ts: frame.ts, kind, hand, phase });
      return undefined;
    }
  }
}
