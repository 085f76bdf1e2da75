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
