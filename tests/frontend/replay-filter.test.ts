import { describe, expect, it } from 'vitest';
import { ReplayFilter } from '../../sdk/ts/src/xr-replay-filter.ts';

describe('the replay filter of a resumed XR answer', () => {
  it('delivers two actions of one chunk, not only the first', () => {
    const filter = new ReplayFilter();
    expect([
      filter.admit('partial', 3),
      filter.admit('action', 3),
      filter.admit('action', 3),
    ]).toEqual([true, true, true]);
  });

  it('drops what was delivered of a chunk cut between its frames, and delivers the rest', () => {
    const filter = new ReplayFilter();
    // Chunk 3: its text and the first of its two actions arrived, then the socket was cut.
    filter.admit('partial', 2);
    filter.admit('partial', 3);
    filter.admit('action', 3);
    filter.reconnected();
    // Resumed from chunk 2: chunk 3 comes again whole, then chunk 4.
    expect([
      filter.admit('partial', 3),
      filter.admit('action', 3),
      filter.admit('action', 3),
      filter.admit('partial', 4),
    ]).toEqual([false, false, true, true]);
  });
});
