import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { fromUpstreamFailure } from '../../providers/upstream-error.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Router } from '../routing/router.ts';
import { throughRoute } from './stt-route.ts';

/** The audio format server speech is asked for and sent in (`audio` downlink frames). */
export const TTS_CODEC = 'mp3';

/** The voice a session gets when it asks for server speech without naming one. */
export const DEFAULT_TTS_VOICE = 'alloy';

/** Text to speech for one sentence. */
export interface Tts {
  synthesize(text: string, voice: string, signal: AbortSignal): Promise<Buffer>;
}

/**
 * OpenAI's speech wire format (`POST {url}/audio/speech`, `url` a base ending in `/v1`, JSON
 * `{model, input, voice, response_format}`, the audio bytes back), which OpenAI and
 * OpenAI-compatible servers serve. Errors as the transcriptions' (stt.ts): the providers' one
 * mapping into the closed vocabulary.
 */
export function httpTts(options: {
  url: string;
  model: string;
  apiKey?: string;
  provider?: string;
}): Tts {
  const endpoint = `${options.url.replace(/\/+$/, '')}/audio/speech`;
  return {
    async synthesize(text, voice, signal) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          signal,
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
          },
          body: JSON.stringify({
            model: options.model,
            input: text,
            voice,
            response_format: TTS_CODEC,
          }),
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ApiError('UPSTREAM_UNAVAILABLE', 'The speech service is unreachable.', {
          details: { reason: 'tts_unreachable' },
        });
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw fromUpstreamFailure({
          provider: options.provider ?? 'tts',
          status: response.status,
          headers: response.headers,
        });
      }
      return Buffer.from(await response.arrayBuffer());
    },
  };
}

/**
 * Server speech through a route of the contract (`VOICE_TTS_ROUTE`, the flag: unset, speech
 * stays client-side and a session that asks for it is refused), through the router's chain as
 * the STT's route is (stt-route.ts), each target's model (`gpt-4o-mini-tts`, `tts-1`) and key.
 */
export function ttsFromEnv(
  env: NodeJS.ProcessEnv,
  snapshot: () => ConfigSnapshot,
  router: Router,
): Tts | undefined {
  const alias = env['VOICE_TTS_ROUTE'];
  if (alias === undefined || alias === '') return undefined;
  return {
    synthesize: (text, voice, signal) =>
      throughRoute(alias, snapshot, router, signal, (url, target, attemptSignal) =>
        httpTts({
          url,
          model: target.model,
          provider: target.provider,
          ...(target.apiKey === undefined ? {} : { apiKey: target.apiKey }),
        }).synthesize(text, voice, attemptSignal),
      ),
  };
}
