import { describe, expect, it } from 'vitest';
import { wsSettings } from './ws-settings.ts';

describe('wsSettings', () => {
  it('has defaults: no browser origin, ping every 25 s, 256 KiB frames, 1 MiB buffered', () => {
    expect(wsSettings({})).toEqual({
      allowedOrigins: new Set(),
      pingMs: 25_000,
      maxFrameBytes: 262_144,
      maxBufferedBytes: 1_048_576,
      closeGraceMs: 2000,
    });
  });

  it('reads the allowlist and the limits from the environment', () => {
    const settings = wsSettings({
      VOICE_ALLOWED_ORIGINS: 'https://a.test, https://b.test,',
      VOICE_WS_PING_MS: '20000',
    });
    expect([...settings.allowedOrigins]).toEqual(['https://a.test', 'https://b.test']);
    expect(settings.pingMs).toBe(20_000);
  });

  it('refuses a limit that is not a positive integer, naming the variable', () => {
    expect(() => wsSettings({ VOICE_WS_MAX_FRAME_BYTES: '-1' })).toThrow(
      /VOICE_WS_MAX_FRAME_BYTES must be a positive integer/,
    );
  });
});
