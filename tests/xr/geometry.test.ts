import { describe, expect, it } from 'vitest';
import {
  forwardRay,
  rayBoxDistance,
  rotate,
  slerp,
  type Quat,
  type Vec3,
} from '../../dataplane/src/engine/xr/geometry.ts';
import { Track } from '../../dataplane/src/engine/xr/track.ts';

const IDENTITY: Quat = [0, 0, 0, 1];
/** A quarter turn to the left about +y: forward (-z) becomes -x. */
const LEFT: Quat = [0, Math.SQRT1_2, 0, Math.SQRT1_2];
function close(a: readonly number[], b: readonly number[]): void {
  a.forEach((v, i) => {
    expect(v).toBeCloseTo(b[i] ?? Number.NaN, 6);
  });
}

describe('the scene algebra', () => {
  it('turns forward with a pose, and slerps halfway to an eighth turn', () => {
    close(forwardRay({ position: [0, 0, 0], orientation: LEFT }).direction, [-1, 0, 0]);
    close(rotate(slerp(IDENTITY, LEFT, 0.5), [0, 0, -1]), [-Math.SQRT1_2, 0, -Math.SQRT1_2]);
  });

  it.each([
    { case: 'straight into a box 2 m ahead', origin: [0, 0, 0], dir: [0, 0, -1], hit: 1.9 },
    { case: 'past its side', origin: [0.2, 0, 0], dir: [0, 0, -1], hit: undefined },
    { case: 'from inside it', origin: [0, 0, -2], dir: [0, 0, -1], hit: 0 },
    { case: 'with the box behind', origin: [0, 0, 0], dir: [0, 0, 1], hit: undefined },
  ] as { case: string; origin: Vec3; dir: Vec3; hit: number | undefined }[])(
    'a ray $case',
    ({ origin, dir, hit }) => {
      const box = { position: [0, 0, -2] as Vec3, orientation: IDENTITY };
      const distance = rayBoxDistance({ origin, direction: dir }, box, [0.2, 0.2, 0.2]);
      if (hit === undefined) expect(distance).toBeUndefined();
      else expect(distance).toBeCloseTo(hit, 6);
    },
  );

  it('meets a long box where its rotation puts it, not where an unrotated one would be', () => {
    // A 2 m long, 0.1 m thin box 3 m ahead, turned a quarter: its length lies along z.
    const box = { position: [0, 0, -3] as Vec3, orientation: LEFT };
    const ray = { origin: [0, 0, 0] as Vec3, direction: [0, 0, -1] as Vec3 };
    expect(rayBoxDistance(ray, box, [2, 0.1, 0.1])).toBeCloseTo(2, 6);
    const aside = { origin: [0.5, 0, 0] as Vec3, direction: [0, 0, -1] as Vec3 };
    expect(rayBoxDistance(aside, box, [2, 0.1, 0.1])).toBeUndefined();
  });
});

describe('a track', () => {
  it('keeps its window bounded and refuses a sample not after the newest', () => {
    const track = new Track<number>((a, b, t) => a + (b - a) * t, 100, 5);
    for (let ts = 0; ts <= 300; ts += 10) track.push(ts, ts);
    expect(track.size).toBe(5);
    expect(track.push(300, -1)).toBe(false);
    expect(track.at(295, 0)).toBe(295);
    expect(track.at(200, 50)).toBeUndefined();
    expect(track.at(330, 50)).toBe(300);
  });
});
