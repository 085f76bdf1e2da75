import { ApiError } from '../errors/api-error.ts';
import type { TargetConfig } from '../engine/routing/route.ts';
import { createMockProvider } from './mock/mock.ts';
import type { Provider } from './provider.ts';

const mock = createMockProvider();

/** The provider that serves a target, by the target's provider kind. */
export function providerFor(target: TargetConfig): Provider {
  switch (target.provider) {
    case 'mock':
      return mock;
    default:
      return unavailable(target);
  }
}

/** A provider kind this build cannot call yet: every call fails over to the next target. */
function unavailable(target: TargetConfig): Provider {
  return {
    name: target.provider,
    stream() {
      throw new ApiError('UPSTREAM_UNAVAILABLE', `Provider ${target.provider} is not available in this build.`);
    },
  };
}
