import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { Router } from '../routing/router.ts';
import { httpStt, type Stt } from './stt.ts';
import { routeStt } from './stt-route.ts';

/**
 * The configured speech-to-text: a route of the contract (`VOICE_STT_ROUTE`, through `router`'s
 * fallback chain), else a URL
 * (`VOICE_STT_URL`, `VOICE_STT_MODEL` whisper-base, `VOICE_STT_API_KEY`), else none.
 */
export function sttFromEnv(
  env: NodeJS.ProcessEnv,
  snapshot: () => ConfigSnapshot,
  router: Router,
): Stt | undefined {
  const route = env['VOICE_STT_ROUTE'];
  if (route !== undefined && route !== '') return routeStt(route, snapshot, router);
  const url = env['VOICE_STT_URL'];
  if (url === undefined || url === '') return undefined;
  const apiKey = env['VOICE_STT_API_KEY'];
  return httpStt({
    url,
    model: env['VOICE_STT_MODEL'] ?? 'whisper-base',
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
  });
}

/** How a socket's utterances are transcribed while spoken (docs/voice.md, live-transcript.ts). */
export interface LiveTranscriptSettings {
  partialEveryMs: number;
  early: boolean;
  /** Answer the early transcript in the pause, adopted at the end of speech if it still holds. */
  speculative: boolean;
}

export function liveTranscriptSettings(env: NodeJS.ProcessEnv): LiveTranscriptSettings {
  const early = env['VOICE_EARLY_TRANSCRIPT'] || 'on';
  if (early !== 'on' && early !== 'off')
    throw new Error(`VOICE_EARLY_TRANSCRIPT must be on or off, not ${JSON.stringify(early)}.`);
  const speculative = env['VOICE_SPECULATIVE_ANSWER'] || 'on';
  if (speculative !== 'on' && speculative !== 'off')
    throw new Error(
      `VOICE_SPECULATIVE_ANSWER must be on or off, not ${JSON.stringify(speculative)}.`,
    );
  return {
    partialEveryMs: partialTranscriptMs(env),
    early: early === 'on',
    speculative: speculative === 'on',
  };
}

/**
 * `VOICE_PARTIAL_TRANSCRIPT_MS`: a socket's `transcript` frame every this many ms of speech
 * (default 0: none). Each costs one more transcription of the speech so far, which competes
 * with the final one where the STT shares the machine (docs/benchmarks.md, Voice).
 */
function partialTranscriptMs(env: NodeJS.ProcessEnv): number {
  const value = env['VOICE_PARTIAL_TRANSCRIPT_MS'];
  if (value === undefined || value === '') return 0;
  const parsed = Number(value);
  // Below 250 ms every few frames would be another transcription of the whole speech so far.
  if (!Number.isSafeInteger(parsed) || (parsed !== 0 && (parsed < 250 || parsed > 60_000)))
    throw new Error(
      `VOICE_PARTIAL_TRANSCRIPT_MS must be 0 or 250 to 60000, not ${JSON.stringify(value)}.`,
    );
  return parsed;
}
