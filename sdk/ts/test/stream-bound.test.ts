import { describe, expect, it } from 'vitest';
import { resumingStream, StreamExhaustedError, type StreamEvent } from '../src/stream.ts';

/** A long-poll response the gateway ended on time: the events given, then its `resume` frame. */
function longPoll(events: string[], offset: number): Response {
  const resume = `event: resume\ndata: ${JSON.stringify({ resume_token: 'tok', offset, reason: 'poll' })}\n\n`;
  return new Response(events.join('') + resume);
}

const chunk = (id: number) =>
  `id: ${id}\nevent: data\ndata: ${JSON.stringify({ text: `c${id}` })}\n\n`;
const done = (id: number) =>
  `id: ${id}\nevent: done\ndata: ${JSON.stringify({ finish_reason: 'stop', usage: { input_tokens: 1, output_tokens: id, cached_tokens: 0 } })}\n\n`;
const policy = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 };

async function read(stream: AsyncGenerator<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('the long-poll loop of a stream', () => {
  it('fails with StreamExhaustedError after maxQuietPolls long-polls in a row without a new event', async () => {
    let polls = 0;
    const resume = () => {
      polls++;
      return Promise.resolve(longPoll([], 1));
    };
    const first = longPoll([chunk(1)], 1);
    const reading = read(
      resumingStream(first, resume, policy, { transport: 'poll', maxQuietPolls: 3 }, undefined),
    );
    const error: unknown = await reading.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StreamExhaustedError);
    expect(error).toMatchObject({ exhausted: 'polls', offset: 1 });
    // The first response and two quiet long-polls, the third quiet one ends it: 3 resumes asked.
    expect(polls).toBe(3);
  });

  it('counts the quiet long-polls afresh after each new event, so a slow answer still completes', async () => {
    // Each new chunk comes after two quiet long-polls, under a bound of three.
    const script = [[], [], [chunk(2)], [], [], [chunk(3)], [], [], [done(4)]];
    let polls = 0;
    const resume = () => Promise.resolve(longPoll(script[polls++] ?? [], polls));
    const events = await read(
      resumingStream(
        longPoll([chunk(1)], 1),
        resume,
        policy,
        { transport: 'poll', maxQuietPolls: 3 },
        undefined,
      ),
    );
    const offsets = events.flatMap((event) =>
      event.type === 'text' || event.type === 'done' ? [event.offset] : [],
    );
    expect(offsets).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
  });

  it('stops after 60 quiet long-polls by default', async () => {
    let polls = 0;
    const resume = () => {
      polls++;
      return Promise.resolve(longPoll([], 0));
    };
    const reading = read(
      resumingStream(longPoll([], 0), resume, policy, { transport: 'poll' }, undefined),
    );
    await expect(reading).rejects.toBeInstanceOf(StreamExhaustedError);
    expect(polls).toBe(59);
  });
});
