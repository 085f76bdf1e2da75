/**
 * The XR Panel's synthetic scene (examples/xr-panel/scene.ts) streamed through `useXR()`: at
 * 30 Hz, while the socket is up, the head pose and the gaze (resting on the anchor `look`
 * names, or sweeping the table), the right hand's target ray while `point` names an anchor,
 * and a `point` gesture (start, end) when `point` changes.
 */
import { useCallback, useEffect, useRef } from 'react';
import type { XR } from '@enis/react';
import { EYES, gazeTarget, handPose, toward, type Quat, type Vec3 } from '../xr-panel/scene.ts';

export const HZ = 30;
const UPRIGHT: Quat = [0, 0, 0, 1];

/** How many frames of each kind went out: what the tests compare with the gateway's count. */
export interface Sent {
  pose: number;
  gaze: number;
  gesture: number;
}

export interface SceneStream {
  /** Forgets the gesture sent, so the point held is sent again (to a session that lost it). */
  forgetPoint: () => void;
}

export function useSceneStream(options: {
  xr: XR;
  look: string;
  point: string;
  sent: Sent;
  /** Each tick, with the point the gaze rests on (to draw the scene). */
  onTick: (gaze: Vec3) => void;
}): SceneStream {
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  /** The anchor the gateway was last told the hand points at ('' for none). */
  const pointing = useRef('');

  useEffect(() => {
    const started = latest.current.xr.now();
    const tick = () => {
      const { xr, look, point, sent, onTick } = latest.current;
      const ts = xr.now();
      const gaze = gazeTarget(look, ts - started);
      onTick(gaze);
      const { connection } = xr.state;
      if (connection !== 'connected' && connection !== 'reconnected') return;
      const hand = handPose(point);
      xr.pose(
        { head: { position: EYES, orientation: UPRIGHT }, ...(hand && { right_hand: hand }) },
        ts,
      );
      xr.gaze({ origin: EYES, direction: toward(gaze, EYES) }, ts);
      sent.pose += 1;
      sent.gaze += 1;
      if (point === pointing.current) return;
      // Pointing from one anchor to another ends the first point before the second starts.
      if (pointing.current !== '' && point !== '')
        xr.gesture({ kind: 'point', hand: 'right', phase: 'end' }, ts);
      xr.gesture(
        { kind: 'point', hand: 'right', phase: point === '' ? 'end' : 'start' },
        ts + 0.01,
      );
      sent.gesture += 1;
      pointing.current = point;
    };
    const timer = setInterval(tick, 1000 / HZ);
    return () => {
      clearInterval(timer);
    };
  }, []);

  const forgetPoint = useCallback(() => {
    pointing.current = '';
  }, []);
  return { forgetPoint };
}
