import { ApiError } from '../../errors/api-error.ts';
import { floatToWav } from './wav.ts';

/** Speech to text for one utterance. */
export interface Stt {
  transcribe(samples: Float32Array, signal: AbortSignal): Promise<string>;
}

/**
 * The OpenAI transcription wire format (`POST {url}/v1/audio/transcriptions`, multipart, a WAV
 * file), which the local faster-whisper sidecar (stt_sidecar.py) and OpenAI-compatible APIs
 * serve. Configured by `VOICE_STT_URL`, `VOICE_STT_MODEL` (whisper-base) and, for a hosted
 * API, `VOICE_STT_API_KEY`.
 */
export function httpStt(options: { url: string; model: string; apiKey?: string }): Stt {
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/audio/transcriptions`;
  return {
    async transcribe(samples, signal) {
      const form = new FormData();
      form.set('model', options.model);
      form.set('response_format', 'json');
      form.set('file', new Blob([floatToWav(samples)], { type: 'audio/wav' }), 'speech.wav');
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          body: form,
          signal,
          headers:
            options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` },
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ApiError('UPSTREAM_UNAVAILABLE', 'The speech-to-text service is unreachable.', {
          details: { reason: 'stt_unreachable' },
        });
      }
      if (!response.ok) {
        throw new ApiError(
          response.status === 401 || response.status === 403
            ? 'UPSTREAM_AUTH'
            : 'UPSTREAM_UNAVAILABLE',
          `The speech-to-text service answered ${response.status}.`,
          { details: { reason: 'stt_failed', status: response.status } },
        );
      }
      const body = (await response.json()) as { text?: unknown };
      return typeof body.text === 'string' ? body.text.trim() : '';
    },
  };
}

/** The configured speech-to-text, or undefined when `VOICE_STT_URL` names none. */
export function sttFromEnv(env: NodeJS.ProcessEnv): Stt | undefined {
  const url = env['VOICE_STT_URL'];
  if (url === undefined || url === '') return undefined;
  const apiKey = env['VOICE_STT_API_KEY'];
  return httpStt({
    url,
    model: env['VOICE_STT_MODEL'] ?? 'whisper-base',
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
  });
}
