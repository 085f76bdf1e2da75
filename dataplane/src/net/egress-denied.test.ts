import { describe, expect, it } from 'vitest';
import type { RouteConfig, TargetConfig } from '../core/route.ts';
import { Router } from '../engine/routing/router.ts';
import { createMockProvider } from '../providers/mock/mock.ts';
import type { Provider } from '../providers/provider.ts';
import { ProviderError } from '../providers/upstream-error.ts';
import { EgressDeniedError, findEgressDenial, withEgressReason } from './egress-denied.ts';

const denial = new EgressDeniedError({
  host: 'api.openai.com',
  port: 443,
  reason: 'not_in_cluster',
  airGapped: true,
});
/** What a provider throws when its socket was refused: the SDK wraps fetch, fetch the socket. */
const sdkFailure = () =>
  new ProviderError('UPSTREAM_UNAVAILABLE', 'Provider openai could not be reached.', {
    details: { provider: 'openai' },
    cause: new Error('Connection error.', {
      cause: new TypeError('fetch failed', { cause: denial }),
    }),
  });

describe('a refused connection in the closed vocabulary', () => {
  it('is found along the causes, and becomes UPSTREAM_UNAVAILABLE with reason egress_denied', () => {
    expect(findEgressDenial(sdkFailure())).toBe(denial);
    expect(findEgressDenial(new AggregateError([new Error('x'), denial]))).toBe(denial);
    expect(findEgressDenial(new Error('no'))).toBeUndefined();
    const error = withEgressReason(sdkFailure());
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('Egress to api.openai.com:443 is not allowed (not_in_cluster).');
    expect(error.details).toEqual({
      provider: 'openai',
      reason: 'egress_denied',
      host: 'api.openai.com',
      policy: 'air-gapped',
    });
  });

  it('leaves other errors as they are', () => {
    const other = new ProviderError('UPSTREAM_UNAVAILABLE', 'down');
    expect(withEgressReason(other)).toBe(other);
  });
});

describe('the router and a refused target', () => {
  const mock = createMockProvider();
  const refused: Provider = {
    ...mock,
    // eslint-disable-next-line require-yield
    async *stream() {
      throw sdkFailure();
    },
  };
  const route = (names: string[]): RouteConfig => ({
    alias: 'r',
    targets: names.map((name, priority) => ({
      name,
      provider: 'mock',
      model: 'echo',
      timeoutMs: 500,
      weight: 1,
      priority,
    })),
    fallbackOn: new Set(['UPSTREAM_UNAVAILABLE']),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    circuitBreaker: { failureThreshold: 5, openMs: 60_000 },
    midStreamFailure: 'Error',
    balance: 'Weighted',
  });
  const routerOf = () =>
    new Router({
      provider: (target: TargetConfig) => (target.name === 'outside' ? refused : mock),
    });
  const run = async (config: RouteConfig, attempts: string[], router = routerOf()) => {
    const events = { onAttempt: (t: TargetConfig, n: number) => attempts.push(`${t.name}#${n}`) };
    const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
    let text = '';
    for await (const chunk of router.stream(config, request, new AbortController().signal, events))
      if (chunk.type === 'text') text += chunk.text;
    return text;
  };

  it('never retries it, and falls back to the next target', async () => {
    const attempts: string[] = [];
    expect(await run(route(['outside', 'inside']), attempts)).toBe('Echo: hi');
    expect(attempts).toEqual(['outside#1', 'inside#1']);
  });

  it('tells the client why when no target is left', async () => {
    const attempts: string[] = [];
    await expect(run(route(['outside']), attempts)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { reason: 'egress_denied', host: 'api.openai.com' },
    });
    expect(attempts).toEqual(['outside#1']);
  });

  it('does not open the circuit over it: the next request is told why too', async () => {
    const router = routerOf();
    for (let i = 0; i < 8; i++) {
      await expect(run(route(['outside']), [], router)).rejects.toMatchObject({
        details: { reason: 'egress_denied' },
      });
    }
    expect(router.circuitStates().get('r/outside')).toBe('closed');
  });
});
