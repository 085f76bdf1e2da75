import { describe, expect, it } from 'vitest';
import { parseUplink } from './frames.ts';

describe('parseUplink', () => {
  it('accepts an audio frame and a control frame of the contract', () => {
    const audio = { type: 'audio', codec: 'pcm16', seq: 1, payload: 'AAAA', ts: 5 };
    expect(parseUplink(JSON.stringify(audio))).toEqual(audio);
    const control = { type: 'control', seq: 2, ts: 0, payload: { action: 'text', text: 'hi' } };
    expect(parseUplink(JSON.stringify(control))).toEqual(control);
  });

  it('names the field at fault, and the seq when the frame has one', () => {
    expect(parseUplink('[')).toEqual({ field: '', message: 'The frame is not JSON.' });
    expect(parseUplink('null')).toMatchObject({ field: '/type' });
    expect(
      parseUplink(JSON.stringify({ type: 'audio', codec: 'mp3', seq: 3, payload: '', ts: 0 })),
    ).toMatchObject({ field: '/codec', seq: 3 });
    expect(parseUplink(JSON.stringify({ type: 'control', seq: 4, ts: 0 }))).toMatchObject({
      field: '/payload',
      seq: 4,
    });
  });
});
