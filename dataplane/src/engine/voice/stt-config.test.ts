import { describe, expect, it } from 'vitest';
import { liveTranscriptSettings } from './stt-config.ts';

describe('the live transcript settings', () => {
  it('tell no transcript while spoken and begin it early by default', () => {
    expect(liveTranscriptSettings({})).toEqual({
      partialEveryMs: 0,
      early: true,
      speculative: true,
    });
  });

  it('take VOICE_PARTIAL_TRANSCRIPT_MS, 0 turning the transcript frames off', () => {
    expect(liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '0' }).partialEveryMs).toBe(0);
    expect(liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '750' }).partialEveryMs).toBe(750);
  });

  it('take VOICE_EARLY_TRANSCRIPT=off, and an empty one as unset', () => {
    expect(liveTranscriptSettings({ VOICE_EARLY_TRANSCRIPT: 'off' }).early).toBe(false);
    expect(liveTranscriptSettings({ VOICE_EARLY_TRANSCRIPT: '' }).early).toBe(true);
  });

  it('refuse a bad value by its name', () => {
    expect(() => liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '-5' })).toThrow(
      /VOICE_PARTIAL_TRANSCRIPT_MS must be 0 or 250 to 60000, not "-5"/,
    );
    expect(() => liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '1.5' })).toThrow(
      /VOICE_PARTIAL_TRANSCRIPT_MS/,
    );
    // A transcription of the whole speech so far every frame or two.
    expect(() => liveTranscriptSettings({ VOICE_PARTIAL_TRANSCRIPT_MS: '32' })).toThrow(
      /VOICE_PARTIAL_TRANSCRIPT_MS must be 0 or 250 to 60000, not "32"/,
    );
    expect(() => liveTranscriptSettings({ VOICE_EARLY_TRANSCRIPT: 'yes' })).toThrow(
      /VOICE_EARLY_TRANSCRIPT must be on or off, not "yes"/,
    );
  });
});
