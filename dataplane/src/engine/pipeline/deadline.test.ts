import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.ts';

describe('a request deadline', () => {
  it('aborts with DEADLINE_EXCEEDED when it passes', async () => {
    const deadline = withDeadline(new AbortController().signal, 10);
    await sleep(30);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('follows the caller, with the caller’s reason', () => {
    const caller = new AbortController();
    const deadline = withDeadline(caller.signal, 60_000);
    caller.abort(new Error('client went away'));
    expect(deadline.signal.reason).toEqual(new Error('client went away'));
    deadline.clear();
  });

  it('starts aborted when the caller already is', () => {
    const deadline = withDeadline(AbortSignal.abort('gone'), 60_000);
    expect(deadline.signal.aborted).toBe(true);
    deadline.clear();
  });

  it('never fires once cleared, and lets go of the caller', async () => {
    const caller = new AbortController();
    const deadline = withDeadline(caller.signal, 10);
    deadline.clear();
    await sleep(30);
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
  });
});
