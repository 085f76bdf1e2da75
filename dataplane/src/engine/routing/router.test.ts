import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../providers/mock/mock.ts';
import type { Provider } from '../../providers/provider.ts';
import type { Chunk } from '../types.ts';
import type { RouteConfig, TargetConfig } from './route.ts';
import { Router } from './router.ts';

const mock = createMockProvider();

function route(models: string[], overrides: Partial<RouteConfig> = {}): RouteConfig {
  return {
    alias: 'r',
    targets: models.map((model, index) => ({
      name: `t${index}`,
      provider: 'mock',
      model,
      timeoutMs: 200,
      weight: 1,
    })),
    fallbackOn: new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_RATE_LIMITED']),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    circuitBreaker: { failureThreshold: 2, openMs: 60_000 },
    midStreamFailure: 'Error',
    ...overrides,
  };
}

const request = { messages: [{ role: 'user' as const, content: 'hello world' }] };

async function run(router: Router, config: RouteConfig, attempts: string[] = []): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  const events = {
    onAttempt: (target: TargetConfig, attempt: number) =>
      attempts.push(`${target.name}#${attempt}`),
  };
  for await (const chunk of router.stream(config, request, new AbortController().signal, events))
    chunks.push(chunk);
  return chunks;
}

const text = (chunks: Chunk[]) =>
  chunks.map((chunk) => (chunk.type === 'text' ? chunk.text : '')).join('');

describe('the router', () => {
  it('serves from the first target when it answers', async () => {
    const chunks = await run(new Router({ provider: () => mock }), route(['echo']));
    expect(text(chunks)).toBe('Echo: hello world');
    expect(chunks.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
  });

  it('falls through to the next target when the first fails before its first chunk', async () => {
    const attempts: string[] = [];
    const chunks = await run(
      new Router({ provider: () => mock }),
      route(['fail?code=UPSTREAM_UNAVAILABLE', 'echo']),
      attempts,
    );
    expect(text(chunks)).toBe('Echo: hello world');
    expect(attempts).toEqual(['t0#1', 't1#1']);
  });

  it('does not fall through on an error outside the route fallback list', async () => {
    const config = route(['fail?code=UPSTREAM_BAD_REQUEST', 'echo']);
    await expect(run(new Router({ provider: () => mock }), config)).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
    });
  });

  it('retries a retryable error on the same target before falling back', async () => {
    const attempts: string[] = [];
    const config = route(['fail?code=UPSTREAM_UNAVAILABLE', 'echo'], {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      circuitBreaker: { failureThreshold: 10, openMs: 1000 },
    });
    await run(new Router({ provider: () => mock, random: () => 0.5 }), config, attempts);
    expect(attempts).toEqual(['t0#1', 't0#2', 't0#3', 't1#1']);
  });

  it('reports the last error when every target fails', async () => {
    const config = route(['fail?code=UPSTREAM_UNAVAILABLE', 'fail?code=UPSTREAM_RATE_LIMITED']);
    await expect(run(new Router({ provider: () => mock }), config)).rejects.toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
    });
  });

  it('times out a target that sends nothing and moves on', async () => {
    const chunks = await run(new Router({ provider: () => mock }), route(['stall', 'echo']));
    expect(text(chunks)).toBe('Echo: hello world');
  });

  it('marks a failure after the first chunk as partial instead of switching targets', async () => {
    const config = route(['echo?failAfter=2', 'echo']);
    await expect(run(new Router({ provider: () => mock }), config)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { partial: true, target: 't0' },
    });
  });

  it('stops retrying a target once its circuit opens', async () => {
    const attempts: string[] = [];
    const config = route(['fail?code=UPSTREAM_UNAVAILABLE', 'echo'], {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await run(new Router({ provider: () => mock }), config, attempts);
    expect(attempts).toEqual(['t0#1', 't0#2', 't1#1']);
  });

  it('skips a target whose circuit is open without calling it', async () => {
    let calls = 0;
    const counting: Provider = {
      name: 'counting',
      stream: (req, signal) => {
        calls++;
        return mock.stream(req, signal);
      },
    };
    const router = new Router({ provider: (target) => (target.name === 't0' ? counting : mock) });
    const config = route(['fail?code=UPSTREAM_UNAVAILABLE', 'echo']);
    await run(router, config);
    await run(router, config);
    expect(router.circuitStates().get('r/t0')).toBe('open');
    await run(router, config);
    expect(calls).toBe(2);
  });

  it('passes the caller abort through as is', async () => {
    const controller = new AbortController();
    const reason = new Error('client left');
    const iterator = new Router({ provider: () => mock })
      .stream(route(['echo?gapMs=1000']), request, controller.signal)
      [Symbol.asyncIterator]();
    await iterator.next();
    controller.abort(reason);
    await expect(iterator.next()).rejects.toBe(reason);
  });
});
