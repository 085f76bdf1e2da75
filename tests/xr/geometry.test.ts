import { describe, expect, it } from 'vitest';
import {
  forwardRay,
  rayBoxDistance,
  rotate,
  slerp,
  type Quat,
  type Vec3,
} from '../../dataplane/src/engine/xr/geometry.ts';
import { Track, type Codec } from '../../dataplane/src/engine/xr/track.ts';

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

const numbers: Codec<number> = {
  width: 1,
  write: (value, into, at) => (into[at] = value),
  read: (from, at) => from[at] ?? Number.NaN,
};
const mixNumbers = (a: number, b: number, t: number) => a + (b - a) * t;
const pairs: Codec<number[]> = {
  width: 2,
  write: (value, into, at) => {
    into.set(value, at);
  },
  read: (from, at) => [from[at] ?? Number.NaN, from[at + 1] ?? Number.NaN],
};

describe('a track', () => {
  it('keeps its window bounded and refuses a sample not after the newest', () => {
    const track = new Track(numbers, mixNumbers, 100, 5);
    for (let ts = 0; ts <= 300; ts += 10) track.push(ts, ts);
    expect(track.size).toBe(5);
    expect(track.push(300, -1)).toBe(false);
    expect(track.at(295, 0)).toBe(295);
    expect(track.at(200, 50)).toBeUndefined();
    expect(track.at(330, 50)).toBe(300);
  });

  it('drops what falls behind its window in time, whatever its capacity', () => {
    const track = new Track(numbers, mixNumbers, 100, 600);
    for (let ts = 0; ts <= 1000; ts += 10) track.push(ts, ts);
    expect(track.size).toBe(11);
    expect(track.samples().map((sample) => sample.ts)).toEqual([
      900, 910, 920, 930, 940, 950, 960, 970, 980, 990, 1000,
    ]);
  });

  it('grows past its first ring and wraps around it with samples in order', () => {
    const track = new Track(numbers, mixNumbers, 10_000, 100);
    for (let ts = 1; ts <= 250; ts++) track.push(ts, ts * 2);
    expect(track.size).toBe(100);
    expect(track.samples().map((sample) => sample.ts)).toEqual(
      Array.from({ length: 100 }, (_, index) => 151 + index),
    );
    expect(track.at(200.5, 0)).toBeCloseTo(401, 9);
    expect(track.at(151, 0)).toBe(302);
    expect(track.at(150, 0)).toBeUndefined();
  });

  it('keeps a copy of each sample, not the object it was given', () => {
    const track = new Track(pairs, (a, b, t) => a.map((v, i) => v + ((b[i] ?? v) - v) * t), 100, 8);
    const frame = [1, 2];
    track.push(10, frame);
    frame[0] = 99;
    expect(track.at(10, 0)).toEqual([1, 2]);
    track.clear();
    expect(track.size).toBe(0);
    expect(track.at(10, 50)).toBeUndefined();
  });
});
