import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { TargetConfig } from '../../core/route.ts';
import { ApiError } from '../../errors/api-error.ts';
import { GROQ_BASE_URL } from '../../providers/groq/groq.ts';
import { OPENAI_BASE_URL } from '../../providers/openai/openai.ts';
import { httpStt, type Stt } from './stt.ts';

/**
 * Speech-to-text through a route of the config contract (`VOICE_STT_ROUTE`): its first target
 * by priority, read from the served snapshot at every utterance (a reload or a rotated key
 * applies at once), with that target's provider endpoint, model id (`whisper-1`,
 * `whisper-large-v3-turbo`, the sidecar's `whisper-base`) and credential from the contract's
 * secrets. OpenAI, Groq and OpenAI-compatible targets serve transcriptions; others do not.
 */
export function routeStt(alias: string, snapshot: () => ConfigSnapshot): Stt {
  return {
    transcribe(samples, signal) {
      const route = snapshot().routes.get(alias);
      if (route === undefined)
        throw new ApiError('MODEL_NOT_FOUND', `VOICE_STT_ROUTE names no route: ${alias}.`, {
          details: { reason: 'stt_route_missing' },
        });
      const target = [...route.targets].sort((a, b) => a.priority - b.priority)[0];
      const url = target === undefined ? undefined : transcriptionBase(target);
      if (target === undefined || url === undefined)
        throw new ApiError(
          'UPSTREAM_BAD_REQUEST',
          `Route ${alias}'s first target has no transcription API (OpenAI, Groq or OpenAI-compatible).`,
          { details: { reason: 'stt_route_unusable' } },
        );
      const { model, apiKey } = target;
      return httpStt({ url, model, ...(apiKey === undefined ? {} : { apiKey }) }).transcribe(
        samples,
        signal,
      );
    },
  };
}

/** The OpenAI-format base URL (`…/v1`) a target's transcriptions are posted under. */
function transcriptionBase(target: TargetConfig): string | undefined {
  switch (target.provider) {
    case 'openai':
      return target.baseURL ?? OPENAI_BASE_URL;
    case 'groq':
      return `${(target.baseURL ?? GROQ_BASE_URL).replace(/\/+$/, '')}/openai/v1`;
    case 'openai-compatible':
      return target.baseURL;
    default:
      return undefined;
  }
}
