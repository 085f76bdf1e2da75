import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createVoiceMetrics } from './metrics.ts';
import { Speculator } from './speculation.ts';
import type { Turn } from './turn.ts';

/** A speculator whose answers start as streams `stream-<transcript>`, with the turns started. */
function speculator() {
  const metrics = createVoiceMetrics(new Registry());
  const started: Turn[] = [];
  const it = new Speculator(async (turn, transcript) => {
    started.push(turn);
    return `stream-${transcript}`;
  }, metrics.speculations);
  const outcomes = async () =>
    Object.fromEntries(
      (await metrics.speculations.get()).values.map(({ labels, value }) => [
        String(labels['outcome']),
        value,
      ]),
    );
  return { it, started, outcomes };
}

describe('Speculator', () => {
  it("adopts the answer begun on the utterance's early transcript when the end brings that very text", async () => {
    const { it: s, started, outcomes } = speculator();
    s.begin('turn-1', 'what time is it');
    const adopted = s.adopt('turn-1', 'what time is it', true);
    expect(adopted?.turn).toBe(started[0]);
    expect(await adopted?.streamId).toBe('stream-what time is it');
    expect(started[0]?.controller.signal.aborted).toBe(false);
    expect(await outcomes()).toEqual({ adopted: 1 });
    expect(s.adopt('turn-1', 'what time is it', true)).toBeUndefined();
  });

  it.each([
    ['another text', 'what time is it now', true],
    ['a transcript made at the end', 'what time is it', false],
  ])('discards it, cancelled upstream, when the utterance ends with %s', async (_, text, early) => {
    const { it: s, started, outcomes } = speculator();
    s.begin('turn-1', 'what time is it');
    expect(s.adopt('turn-1', text, early)).toBeUndefined();
    expect(started[0]?.controller.signal.reason).toMatchObject({
      details: { reason: 'speculation_discarded' },
    });
    expect(await outcomes()).toEqual({ discarded: 1 });
  });

  it("leaves another utterance's speculation alone", async () => {
    const { it: s, started, outcomes } = speculator();
    s.begin('turn-2', 'and tomorrow');
    expect(s.adopt('turn-1', 'and tomorrow', true)).toBeUndefined();
    expect(started[0]?.controller.signal.aborted).toBe(false);
    expect(await outcomes()).toEqual({});
  });

  it('replaces the one begun before with a newer early transcript, cancelling it', async () => {
    const { it: s, started, outcomes } = speculator();
    s.begin('turn-1', 'what time');
    s.begin('turn-1', 'what time is it');
    expect(started[0]?.controller.signal.aborted).toBe(true);
    expect(s.adopt('turn-1', 'what time is it', true)?.turn).toBe(started[1]);
    expect(await outcomes()).toEqual({ discarded: 1, adopted: 1 });
  });

  it('begins nothing on an empty early transcript', async () => {
    const { it: s, started, outcomes } = speculator();
    s.begin('turn-1', '');
    expect(started).toEqual([]);
    expect(s.adopt('turn-1', '', true)).toBeUndefined();
    expect(await outcomes()).toEqual({});
  });
});
