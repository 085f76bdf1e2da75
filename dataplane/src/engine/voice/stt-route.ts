import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { TargetConfig } from '../../core/route.ts';
import { ApiError } from '../../errors/api-error.ts';
import { GROQ_BASE_URL } from '../../providers/groq/groq.ts';
import { OPENAI_BASE_URL } from '../../providers/openai/openai.ts';
import { UnsupportedParameter } from '../../providers/unsupported.ts';
import type { Router } from '../routing/router.ts';
import { httpStt, type Stt } from './stt.ts';

/**
 * Speech-to-text through a route of the config contract (`VOICE_STT_ROUTE`), read from the
 * served snapshot at every utterance (a reload or a rotated key applies at once), through the
 * chat routing's own chain (routing/router.ts `call`): its targets in the route's order, each
 * behind its circuit breaker and rate-limit cooldown, retried with backoff and fallen back from
 * on the route's `fallbackOn` codes, each attempt bounded by the target's timeout. A target
 * posts to its provider's transcription endpoint with its model id (`whisper-1`,
 * `whisper-large-v3-turbo`, the sidecar's `whisper-base`) and credential. OpenAI, Groq and
 * OpenAI-compatible targets serve transcriptions; another provider's target is skipped as one
 * that cannot honour the request (UPSTREAM_BAD_REQUEST naming `audio`), never called.
 */
export function routeStt(alias: string, snapshot: () => ConfigSnapshot, router: Router): Stt {
  return {
    transcribe(samples, signal) {
      const route = snapshot().routes.get(alias);
      if (route === undefined)
        throw new ApiError('MODEL_NOT_FOUND', `VOICE_STT_ROUTE names no route: ${alias}.`, {
          details: { reason: 'stt_route_missing' },
        });
      return router.call(
        route,
        (_provider, target, attemptSignal) => {
          const url = transcriptionBase(target);
          if (url === undefined)
            throw new UnsupportedParameter(
              target.provider,
              'audio',
              `Target ${target.name} (${target.provider}) has no transcription API.`,
            );
          const { model, apiKey, provider } = target;
          return httpStt({
            url,
            model,
            provider,
            ...(apiKey === undefined ? {} : { apiKey }),
          }).transcribe(samples, attemptSignal);
        },
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
