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
    transcribe: (samples, signal) =>
      throughRoute(alias, snapshot, router, signal, (url, target, attemptSignal) =>
        httpStt({
          url,
          model: target.model,
          provider: target.provider,
          ...(target.apiKey === undefined ? {} : { apiKey: target.apiKey }),
        }).transcribe(samples, attemptSignal),
      ),
  };
}

/**
 * One call of an OpenAI-format audio API (transcriptions, speech) through route `alias`'s
 * chain, as routeStt says: `call` gets the target's `…/v1` base URL; a target whose provider has
 * none is skipped (UPSTREAM_BAD_REQUEST naming `audio`), never called.
 */
export function throughRoute<T>(
  alias: string,
  snapshot: () => ConfigSnapshot,
  router: Router,
  signal: AbortSignal,
  call: (url: string, target: TargetConfig, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const route = snapshot().routes.get(alias);
  if (route === undefined)
    throw new ApiError('MODEL_NOT_FOUND', `The voice settings name no route: ${alias}.`, {
      details: { reason: 'voice_route_missing', route: alias },
    });
  return router.call(
    route,
    (_provider, target, attemptSignal) => {
      const url = openAIFormatBase(target);
      if (url === undefined)
        throw new UnsupportedParameter(
          target.provider,
          'audio',
          `Target ${target.name} (${target.provider}) has no OpenAI-format audio API.`,
        );
      return call(url, target, attemptSignal);
    },
    signal,
  );
}

/** The OpenAI-format base URL (`…/v1`) a target's audio calls are posted under. */
function openAIFormatBase(target: TargetConfig): string | undefined {
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
