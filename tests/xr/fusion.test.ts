import { describe, expect, it } from 'vitest';
import { ActionExtractor } from '../../dataplane/src/engine/xr/actions.ts';
import { groundingVariables } from '../../dataplane/src/engine/xr/grounding.ts';
import type { Quat, Vec3 } from '../../dataplane/src/engine/xr/geometry.ts';
import {
  resolveGesture,
  resolveUtterance,
  type Anchor,
} from '../../dataplane/src/engine/xr/resolve.ts';
import { Scene } from '../../dataplane/src/engine/xr/scene.ts';
import { SessionTiming } from '../../dataplane/src/engine/xr/timing.ts';

const IDENTITY: Quat = [0, 0, 0, 1];
const anchor = (id: string, position: Vec3, extent: Vec3 = [0.2, 0.2, 0.2]): Anchor => ({
  id,
  label: id.replace(/-\d+$/, ''),
  pose: { position, orientation: IDENTITY },
  extent,
});
/** Three boxes on a table two metres ahead: a lamp left, a vase centre, a mug right. */
const TABLE = [
  anchor('lamp-1', [-0.5, 1, -2]),
  anchor('vase-2', [0, 1, -2]),
  anchor('mug-3', [0.5, 1, -2]),
];
const EYES: Vec3 = [0, 1, 0];
const toward = (target: Vec3, from: Vec3 = EYES) => {
  const d = [target[0] - from[0], target[1] - from[1], target[2] - from[2]] as const;
  const l = Math.hypot(...d);
  return { origin: from, direction: [d[0] / l, d[1] / l, d[2] / l] as Vec3 };
};
/** A quaternion whose forward (-z) points along the unit direction `d` (yaw only). */
const yawToward = (d: Vec3): Quat => {
  const yaw = Math.atan2(-d[0], -d[2]);
  return [0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)];
};

describe('resolving what an utterance refers to', () => {
  it.each([
    {
      case: 'gaze alone on the vase',
      evidence: { gaze: toward([0, 1, -2]) },
      text: 'what is this',
      rule: 'gaze',
      referent: 'vase-2',
    },
    {
      case: 'a pointing hand alone on the lamp',
      evidence: {
        pointing: { hand: 'right' as const, ray: toward([-0.5, 1, -2], [0.2, 0.9, -0.3]) },
      },
      text: 'that one',
      rule: 'pointing',
      referent: 'lamp-1',
    },
    {
      case: 'gaze on the mug and a hand pointing at the lamp: pointing wins, gaze overruled',
      evidence: {
        gaze: toward([0.5, 1, -2]),
        pointing: { hand: 'right' as const, ray: toward([-0.5, 1, -2], [0.2, 0.9, -0.3]) },
      },
      text: 'move that one',
      rule: 'pointing_over_gaze',
      referent: 'lamp-1',
      overruled: 'mug-3',
    },
    {
      case: 'both rays on the vase',
      evidence: {
        gaze: toward([0, 1, -2]),
        pointing: { hand: 'left' as const, ray: toward([0, 1, -2]) },
      },
      text: 'this',
      rule: 'agree',
      referent: 'vase-2',
    },
    {
      case: '"the left one" while looking at the vase',
      evidence: { gaze: toward([0, 1, -2]) },
      text: 'the left one please',
      rule: 'spatial_word',
      referent: 'lamp-1',
    },
    {
      case: '"the rightmost" while looking at the vase',
      evidence: { gaze: toward([0, 1, -2]) },
      text: 'the rightmost',
      rule: 'spatial_word',
      referent: 'mug-3',
    },
    {
      case: 'a near miss of 2 degrees still counts',
      evidence: { gaze: toward([0.07, 1.0, -2]) },
      text: 'this',
      rule: 'gaze',
      referent: 'vase-2',
    },
    {
      case: 'gaze at the ceiling finds nothing',
      evidence: { gaze: toward([0, 5, -2]) },
      text: 'what is this',
      rule: 'none',
      referent: undefined,
    },
  ])('$case', ({ evidence, text, rule, referent, ...rest }) => {
    const resolution = resolveUtterance(TABLE, evidence, text);
    expect(resolution.rule).toBe(rule);
    expect(resolution.referents[0]?.anchor_id).toBe(referent);
    if ('overruled' in rest) expect(resolution.overruled?.anchor_id).toBe(rest.overruled);
  });

  it('takes the nearer of two boxes along one ray, whatever their registration order', () => {
    const front = anchor('box-a', [0, 1, -1]);
    const back = anchor('box-b', [0, 1, -3]);
    const ray = toward([0, 1, -5]);
    expect(resolveUtterance([back, front], { gaze: ray }, 'this').referents[0]?.anchor_id).toBe(
      'box-a',
    );
    expect(resolveUtterance([front, back], { gaze: ray }, 'this').referents[0]?.anchor_id).toBe(
      'box-a',
    );
  });

  it('reads "left" as the head sees it: turned around, the scene left is its right', () => {
    const behind = [anchor('a-1', [-0.5, 1, 2]), anchor('b-2', [0.5, 1, 2])];
    const head = { position: EYES, orientation: yawToward([0, 0, 1]) };
    const resolution = resolveUtterance(behind, { head, gaze: toward([0, 1, 2]) }, 'the left one');
    expect(resolution.referents[0]?.anchor_id).toBe('b-2');
  });
});

describe('resolving a gesture', () => {
  it('takes the anchor at the hand for a grab, and the first along its ray for a pinch', () => {
    const hand = { position: [0.45, 1, -1.95] as Vec3, orientation: IDENTITY };
    expect(resolveGesture(TABLE, 'grab', hand, undefined).referents[0]?.anchor_id).toBe('mug-3');
    const pinch = resolveGesture(TABLE, 'pinch', undefined, toward([-0.5, 1, -2]));
    expect(pinch).toMatchObject({
      rule: 'pointing',
      referents: [{ anchor_id: 'lamp-1', source: 'point' }],
    });
    expect(
      resolveGesture(TABLE, 'grab', { position: [3, 3, 3], orientation: IDENTITY }, undefined).rule,
    ).toBe('none');
  });
});

describe("the scene's window at an utterance's moment", () => {
  /** A gaze sweeping left to right across the table over one second at 30 Hz. */
  function sweepingScene(): Scene {
    const scene = new Scene();
    scene.upsert(TABLE);
    for (let i = 0; i <= 30; i++) {
      const ts = 1000 + (i * 1000) / 30;
      const x = -0.5 + i / 30;
      scene.gaze.push(ts, toward([x, 1, -2]));
      scene.head.push(ts, { position: EYES, orientation: IDENTITY });
    }
    return scene;
  }

  it('interpolates a moving gaze at the onset, not the latest frame', () => {
    const scene = sweepingScene();
    // Onset at 1000 ms: the gaze was on the lamp; by the last frame it is on the mug.
    expect(resolveUtterance(TABLE, scene.evidenceAt(1000), 'this').referents[0]?.anchor_id).toBe(
      'lamp-1',
    );
    expect(resolveUtterance(TABLE, scene.evidenceAt(1500), 'this').referents[0]?.anchor_id).toBe(
      'vase-2',
    );
    // Between two frames (1500 and 1533.3) the ray is interpolated: x = 0.0125 is in the vase.
    const between = scene.evidenceAt(1512.5).gaze!;
    expect(between.direction[0]).toBeGreaterThan(0);
    expect(resolveUtterance(TABLE, scene.evidenceAt(1512.5), 'this').referents[0]?.anchor_id).toBe(
      'vase-2',
    );
  });

  it('lets a hand pointing at the mug overrule the moving gaze, by the documented rule', () => {
    const scene = sweepingScene();
    const hand = {
      position: [0.2, 0.9, -0.3] as Vec3,
      orientation: yawToward(toward([0.5, 0.9, -2]).direction),
    };
    for (let i = 0; i <= 30; i++) scene.hands.right.push(1000 + (i * 1000) / 30, hand);
    scene.gesture({ ts: 1000, kind: 'point', hand: 'right', phase: 'start' });
    // At 1050 ms the gaze is on the lamp (x = -0.45).
    const resolution = resolveUtterance(TABLE, scene.evidenceAt(1050), 'that one');
    expect(resolution).toMatchObject({
      rule: 'pointing_over_gaze',
      referents: [{ anchor_id: 'mug-3' }],
    });
    expect(resolution.overruled?.anchor_id).toBe('lamp-1');
    // Once the point ends, gaze decides again.
    scene.gesture({ ts: 1300, kind: 'point', hand: 'right', phase: 'end' });
    expect(resolveUtterance(TABLE, scene.evidenceAt(1500), 'this').rule).toBe('gaze');
  });

  it('has no evidence for a moment outside the window', () => {
    expect(sweepingScene().evidenceAt(500).gaze).toBeUndefined();
  });
});

describe('frame timing', () => {
  it('estimates the clock offset, measures jitter and refuses late and out-of-order frames', () => {
    const timing = new SessionTiming(200);
    // The client clock runs 10 000 ms behind the arrival clock; transit is 5 ms, once 40 ms.
    expect(timing.admit('pose', 0, 10_005)).toMatchObject({ admitted: true, ageMs: 0 });
    expect(timing.admit('pose', 33, 10_038)).toMatchObject({ admitted: true, deviationMs: 0 });
    expect(timing.admit('pose', 66, 10_106)).toMatchObject({
      admitted: true,
      ageMs: 35,
      deviationMs: 35,
    });
    expect(timing.offsetMs).toBe(10_005);
    expect(timing.admit('pose', 50, 10_110)).toEqual({ admitted: false, reason: 'out_of_order' });
    expect(timing.admit('pose', 100, 10_400)).toEqual({ admitted: false, reason: 'stale' });
    expect(timing.admit('gaze', 100, 10_106)).toMatchObject({ admitted: true });
    expect(timing.figures()['pose']).toMatchObject({
      frames: 3,
      dropped_stale: 1,
      dropped_out_of_order: 1,
    });
    expect(timing.figures()['pose']!.jitter_ms).toBeCloseTo(35 / 16, 2);
  });
});

describe('actions in an answer', () => {
  it('takes valid actions out of the text across chunk boundaries and drops the invalid', () => {
    const extractor = new ActionExtractor((id) => id === 'lamp-1');
    const chunks = [
      'Here it is <act',
      'ion>{"type":"highlight","anchor_id":"lamp-1"}</action> and ',
      '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
      '<action>{"type":"haptic","hand":"left","intensity":3,"duration_ms":10}</action>',
      '<action>not json</action>done <',
    ];
    const out = chunks.map((chunk) => extractor.push(chunk));
    out.push(extractor.finish());
    expect(out.map((o) => o.text).join('')).toBe('Here it is  and done <');
    expect(out.flatMap((o) => o.actions)).toEqual([{ type: 'highlight', anchor_id: 'lamp-1' }]);
    expect(out.flatMap((o) => o.dropped)).toEqual(['unknown_anchor', 'schema', 'not_json']);
  });

  it('drops an action the answer never closes', () => {
    const extractor = new ActionExtractor(() => true);
    expect(extractor.push('ok <action>{"type":').text).toBe('ok ');
    expect(extractor.finish()).toEqual({ text: '', actions: [], dropped: ['unterminated'] });
  });
});

describe('grounding the prompt', () => {
  it('lists the scene from the head and the referent with its relations', () => {
    const resolution = resolveUtterance(TABLE, { gaze: toward([0, 1, -2]) }, 'this');
    const head = { position: EYES, orientation: IDENTITY };
    const variables = groundingVariables(TABLE, head, resolution, 'none', 'a floating orb');
    expect(variables.scene).toContain('- lamp-1 ("lamp"): 2.00 m ahead, 0.50 m left, 0.00 m up');
    expect(variables.referents).toContain(
      '- vase-2 ("vase"), looked at; vase-2 is right of lamp-1',
    );
    expect(variables.referents).toContain('vase-2 is left of mug-3 (0.50 m apart)');
  });
});
