import { describe, expect, it } from 'vitest';
import { firstProblem, metaTime, setConditions, verdict } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-02T00:00:00.987Z');

describe('setConditions', () => {
  it('stamps a new condition with the time in whole seconds and the generation', () => {
    const [ready] = setConditions(undefined, { Ready: verdict('True', 'Serving', 'ok') }, 3, t0);
    expect(ready).toEqual({
      type: 'Ready',
      status: 'True',
      observedGeneration: 3,
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'Serving',
      message: 'ok',
    });
  });

  it('keeps lastTransitionTime when the status stays, while reason, message and generation move', () => {
    const before = setConditions(
      undefined,
      { Ready: verdict('False', 'SecretNotFound', 'a') },
      1,
      t0,
    );
    const [after] = setConditions(
      before,
      { Ready: verdict('False', 'SecretKeyNotFound', 'b') },
      2,
      t1,
    );
    expect(after).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'SecretKeyNotFound',
      message: 'b',
      observedGeneration: 2,
    });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const before = setConditions(undefined, { Ready: verdict('False', 'X', '') }, 1, t0);
    const [after] = setConditions(before, { Ready: verdict('True', 'Y', '') }, 1, t1);
    expect(after?.lastTransitionTime).toBe(metaTime(t1));
  });

  it('drops conditions of types it was not given and leaves observedGeneration off without one', () => {
    const before = setConditions(
      undefined,
      { Ready: verdict('True', 'A', ''), Old: verdict('True', 'B', '') },
      1,
      t0,
    );
    const after = setConditions(before, { Ready: verdict('True', 'A', '') }, undefined, t1);
    expect(after.map((c) => c.type)).toEqual(['Ready']);
    expect(after[0]).not.toHaveProperty('observedGeneration');
  });
});

describe('firstProblem', () => {
  it('is the first verdict that is not True, else the ready verdict', () => {
    const ok = verdict('True', 'Ok', '');
    expect(
      firstProblem([ok, verdict('Unknown', 'Wait', ''), verdict('False', 'Bad', '')], ok).reason,
    ).toBe('Wait');
    expect(firstProblem([ok, ok], verdict('True', 'AllGood', '')).reason).toBe('AllGood');
  });
});
