import { ApiError } from '../../errors/api-error.ts';
import { floatToWav } from './wav.ts';

/** Speech to text for one utterance. */
export interface Stt {
  transcribe(samples: Float32Array, signal: AbortSignal): Promise<string>;
}

/**
 * The OpenAI transcription wire format (`POST {url}/audio/transcriptions`, `url` an
 * OpenAI-style base ending in `/v1`, multipart, a WAV file), which the local faster-whisper
 * sidecar (stt_sidecar.py) and OpenAI-compatible APIs serve.
 */
export function httpStt(options: { url: string; model: string; apiKey?: string }): Stt {
  const endpoint = `${options.url.replace(/\/+$/, '')}/audio/transcriptions`;
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
