import { ApiError } from '../../errors/api-error.ts';
import { fromUpstreamFailure } from '../../providers/upstream-error.ts';
import { floatToWav } from './wav.ts';

/** Speech to text for one utterance. */
export interface Stt {
  transcribe(samples: Float32Array, signal: AbortSignal): Promise<string>;
}

/**
 * The OpenAI transcription wire format (`POST {url}/audio/transcriptions`, `url` an
 * OpenAI-style base ending in `/v1`, multipart, a WAV file), which the local faster-whisper
 * sidecar (stt_sidecar.py), OpenAI, Groq (under `/openai/v1`) and OpenAI-compatible APIs
 * serve. An error answer goes through the providers' one mapping into the closed vocabulary
 * (upstream-error.ts: status, then the body's type and code, and Retry-After), which the router's
 * retries and fallback read; `provider` names the service in it.
 */
export function httpStt(options: {
  url: string;
  model: string;
  apiKey?: string;
  provider?: string;
}): Stt {
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
        const said = await errorBody(response);
        throw fromUpstreamFailure({
          provider: options.provider ?? 'stt',
          status: response.status,
          headers: response.headers,
          ...said,
        });
      }
      const body = (await response.json()) as { text?: unknown };
      return typeof body.text === 'string' ? body.text.trim() : '';
    },
  };
}

/** What an OpenAI-format error body says (`{error: {message, type, code}}`), if it says it. */
async function errorBody(
  response: Response,
): Promise<{ message?: string; type?: string | null; code?: string | null }> {
  try {
    const body = (await response.json()) as {
      error?: { message?: unknown; type?: unknown; code?: unknown };
    };
    const { message, type, code } = body.error ?? {};
    return {
      ...(typeof message === 'string' ? { message } : {}),
      type: typeof type === 'string' ? type : null,
      code: typeof code === 'string' ? code : null,
    };
  } catch {
    return {};
  }
}
