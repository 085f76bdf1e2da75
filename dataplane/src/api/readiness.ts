import { hardware } from '../providers/local/local.ts';
import type { ReadinessReport } from './health.ts';
import type { Services } from '../engine/services.ts';

/** Ready when a config snapshot is served and Redis, when configured, answers. */
export async function readiness(services: Services): Promise<ReadinessReport> {
  const snapshot = services.config.current;
  const status = services.config.status;
  const redis = services.redis === undefined ? 'not_configured' : await ping(services);
  const prompts =
    snapshot === undefined
      ? 0
      : [...snapshot.prompts.values()].reduce((sum, versions) => sum + versions.length, 0);
  return {
    ready: snapshot !== undefined && redis !== 'down',
    details: {
      config_checksum: status.checksum ?? null,
      config_error: status.lastError ?? null,
      prompts_loaded: prompts,
      routes: snapshot === undefined ? [] : [...snapshot.routes.keys()].sort(),
      redis,
      hardware: hardware(),
    },
  };
}

async function ping(services: Services): Promise<'up' | 'down'> {
  try {
    await services.redis?.ping();
    return 'up';
  } catch {
    return 'down';
  }
}
