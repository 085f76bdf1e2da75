import { describe, expect, it } from 'vitest';
import { liveTranscriptSettings } from './stt-config.ts';

describe('the live transcript settings', () => {
  it('tell no transcript while spoken and begin it early by default', () => {
    expect(liveTranscriptSettings({})).toEqual({ partialEveryMs: 0, early: true });
  });

  it('take VOICE_PARTIAL_TRANSCRIPT_MS, 0 turning the transcript frames off', () => {
    expect(liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '0' }).partialEveryMs).toBe(0);
    expect(liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '750' }).partialEveryMs).toBe(750);
  });

  it('take VOICE_EARLY_TRANSCRIPT=off', () => {
    expect(liveTranscriptSettings({ VOICE_EARLY_TRANSCRIPT: 'off' }).early).toBe(false);
  });

  it('refuse a bad value by its name', () => {
    expect(() => liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '-5' })).toThrow(
      /VOICE_PARTIAL_TRANSCRIPT_MS must be 0 or a positive integer, not "-5"/,
    );
    expect(() => liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '1.5' })).toThrow(
      /VOICE_PARTIAL_TRANSCRIPT_MS/,
    );
    expect(() => liveTranscriptSettings({ VOICE_EARLY_TRANSCRIPT: 'yes' })).toThrow(
      /VOICE_EARLY_TRANSCRIPT must be on or off, not "yes"/,
    );
  });
});
