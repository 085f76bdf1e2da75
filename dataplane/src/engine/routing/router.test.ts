import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../providers/mock/mock.ts';
import type { Provider, ProviderRequest } from '../../providers/provider.ts';
import { ProviderError } from '../../providers/upstream-error.ts';
import { UnsupportedParameter } from '../../providers/unsupported.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Chunk } from '../../core/types.ts';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';
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
      priority: index,
    })),
    fallbackOn: new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_RATE_LIMITED']),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    circuitBreaker: { failureThreshold: 2, openMs: 60_000 },
    midStreamFailure: 'Error',
    balance: 'Weighted',
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

async function collect(chunks: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const all: Chunk[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
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

  it('skips a target that cannot honour a parameter, whatever fallbackOn, and counts no failure', async () => {
    const attempts: string[] = [];
    const router = new Router({ provider: () => mock });
    // A schema whose example the mock cannot write (a pattern): it refuses response_format.
    const schema = { type: 'string', pattern: '^never$' };
    const json = { ...request, responseFormat: { type: 'json_schema' as const, schema } };
    const config = route(['echo', 'echo'], {
      circuitBreaker: { failureThreshold: 1, openMs: 60_000 },
    });
    const events = {
      onAttempt: (target: TargetConfig) => attempts.push(target.name),
    };
    // Neither target can hold that format, so the refusal of the last comes back naming the
    // parameter.
    await expect(
      collect(router.stream(config, json, new AbortController().signal, events)),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      details: { provider: 'mock', parameter: 'response_format' },
    });
    expect(attempts).toEqual(['t0', 't1']);
    // No breaker opened (its threshold is one failure): plain text is served at once.
    expect(text(await run(router, config))).toBe('Echo: hello world');
    expect([...router.circuitStates().values()]).toEqual(['closed', 'closed']);
  });

  it('serves a parameter from the first target of the chain that honours it', async () => {
    const refusing: Provider = {
      name: 'plain',
      stream: () => {
        throw new UnsupportedParameter('plain', 'seed', 'plain takes no seed');
      },
    };
    const attempts: string[] = [];
    const router = new Router({
      provider: (target) => (target.model === 'plain' ? refusing : mock),
    });
    const config = route(['plain', 'echo']);
    const events = { onAttempt: (target: TargetConfig) => attempts.push(target.model) };
    const chunks = await collect(
      router.stream(config, { ...request, seed: 7 }, new AbortController().signal, events),
    );
    expect(text(chunks)).toBe('Echo: hello world');
    expect(attempts).toEqual(['plain', 'echo']);
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

  it('never lets an upstream call run for a caller that gave up before it began', async () => {
    const controller = new AbortController();
    const reason = new Error('the batch worker is shutting down');
    controller.abort(reason);
    let signalled: AbortSignal | undefined;
    const watching: Provider = {
      name: 'watching',
      stream: (req, signal) => {
        signalled = signal;
        return mock.stream(req, signal);
      },
    };
    // The target answers in 300 ms and times out after 5 s: only the caller's abort stops it.
    const config = route(['echo?firstMs=300']);
    const patient = { ...config, targets: config.targets.map((t) => ({ ...t, timeoutMs: 5000 })) };
    const chunks = new Router({ provider: () => watching }).stream(
      patient,
      request,
      controller.signal,
    );
    await expect(collect(chunks)).rejects.toBe(reason);
    expect(signalled?.aborted).toBe(true);
  });
});

/** A provider that records each request it got and streams the mock's answer. */
function recording(requests: ProviderRequest[]): Provider {
  return {
    name: 'recording',
    stream: (req, signal) => {
      requests.push(req);
      return mock.stream(req, signal);
    },
  };
}

describe('the router after a mid-stream failure', () => {
  it('continues on the next target with the partial answer as prefix when the route says Continue', async () => {
    const requests: ProviderRequest[] = [];
    const continued: string[] = [];
    const router = new Router({
      provider: (target) => (target.name === 't1' ? recording(requests) : mock),
    });
    const chunks: Chunk[] = [];
    const config = route(['echo?failAfter=2', 'echo'], { midStreamFailure: 'Continue' });
    const events = { onContinue: (target: TargetConfig) => continued.push(target.name) };
    for await (const chunk of router.stream(config, request, new AbortController().signal, events))
      chunks.push(chunk);
    expect(text(chunks)).toBe('Echo: hello world');
    expect(requests[0]?.prefix).toBe('Echo: hello');
    expect(continued).toEqual(['t0']);
    // The continuing target reported 1 output token; the failed one's ~11 characters are estimated.
    expect(chunks.at(-1)).toMatchObject({ type: 'done', usage: { outputTokens: 1 + 3 } });
  });

  it('ends with a partial error when no target is left to continue', async () => {
    const config = route(['echo?failAfter=1', 'fail?code=UPSTREAM_UNAVAILABLE'], {
      midStreamFailure: 'Continue',
    });
    await expect(run(new Router({ provider: () => mock }), config)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { partial: true, target: 't1' },
    });
  });

  it('does not continue on an error outside the fallback list', async () => {
    const config = route(['echo?failAfter=1', 'echo'], {
      midStreamFailure: 'Continue',
      fallbackOn: new Set(['UPSTREAM_TIMEOUT']),
    });
    await expect(run(new Router({ provider: () => mock }), config)).rejects.toMatchObject({
      details: { partial: true, target: 't0' },
    });
  });
});

describe('the router and rate limits', () => {
  const limited = (retryAfterMs: number): Provider => ({
    name: 'limited',
    stream: () => {
      throw new ProviderError('UPSTREAM_RATE_LIMITED', 'slow down', { retryAfterMs });
    },
  });

  it('waits a Retry-After within the route maximum, then retries the same target', async () => {
    let calls = 0;
    const flaky: Provider = {
      name: 'flaky',
      stream: (req, signal) =>
        ++calls === 1 ? limited(30).stream(req, signal) : mock.stream(req, signal),
    };
    const attempts: string[] = [];
    const config = route(['echo'], { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 100 } });
    const started = performance.now();
    const chunks = await run(
      new Router({ provider: () => flaky, random: () => 0 }),
      config,
      attempts,
    );
    expect(text(chunks)).toBe('Echo: hello world');
    expect(attempts).toEqual(['t0#1', 't0#2']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('retries after a Retry-After even when its timer fires before the clock says the wait is over', async () => {
    let calls = 0;
    const flaky: Provider = {
      name: 'flaky',
      stream: (req, signal) =>
        ++calls === 1 ? limited(20).stream(req, signal) : mock.stream(req, signal),
    };
    const attempts: string[] = [];
    const config = route(['echo'], { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 100 } });
    // Once the cooldown is set (the clock's second reading), it reads 15 ms behind the timers.
    let reads = 0;
    const now = () => Date.now() - (++reads > 2 ? 15 : 0);
    const router = new Router({ provider: () => flaky, random: () => 0, now });
    const chunks = await run(router, config, attempts);
    expect(text(chunks)).toBe('Echo: hello world');
    expect(attempts).toEqual(['t0#1', 't0#2']);
  });

  it('moves on at once when the provider asks for longer than the route waits, and keeps the target out until then', async () => {
    let now = 1_000_000;
    const attempts: string[] = [];
    const router = new Router({
      provider: (target) => (target.name === 't0' ? limited(60_000) : mock),
      now: () => now,
    });
    const config = route(['echo', 'echo'], {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10 },
      circuitBreaker: { failureThreshold: 100, openMs: 1 },
    });
    await run(router, config, attempts);
    await run(router, config, attempts);
    expect(attempts).toEqual(['t0#1', 't1#1', 't1#1']);
    now += 60_000;
    await run(router, config, attempts);
    expect(attempts.at(-2)).toBe('t0#1');
  });

  it('reports the cooldown as a rate limit with the remaining wait when every target waits', async () => {
    const router = new Router({ provider: () => limited(5000) });
    const config = route(['echo']);
    await expect(run(router, config)).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED' });
    await expect(run(router, config)).rejects.toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      retryAfterS: 5,
    });
  });
});

describe('a routed call (embeddings)', () => {
  it('falls back, and times out an attempt that takes longer than the target timeout', async () => {
    const attempts: string[] = [];
    const router = new Router({ provider: () => mock });
    const config = route(['slow', 'fail?code=UPSTREAM_UNAVAILABLE', 'fine']);
    const result = await router.call(
      config,
      async (_provider, target, signal) => {
        attempts.push(target.model);
        if (target.model === 'slow') await sleep(10_000, undefined, { signal });
        if (target.model.startsWith('fail')) throw new ApiError('UPSTREAM_UNAVAILABLE', 'down');
        return target.model;
      },
      new AbortController().signal,
    );
    expect(result).toBe('fine');
    expect(attempts).toEqual(['slow', 'fail?code=UPSTREAM_UNAVAILABLE', 'fine']);
  });

  it('throws an error outside the fallback list at once', async () => {
    const router = new Router({ provider: () => mock });
    const failing = () => Promise.reject(new ApiError('UPSTREAM_BAD_REQUEST', 'no'));
    await expect(
      router.call(route(['a', 'b']), failing, new AbortController().signal),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
    });
  });
});

describe('a chat answer wanted whole', () => {
  /** A provider with a non-streamed call: `hang` never answers it, others answer "whole". */
  const whole: Provider = {
    name: 'whole',
    stream: () => {
      throw new Error('a whole answer must not be streamed');
    },
    complete: async (request, signal) => {
      if (request.model === 'hang') await sleep(10_000, undefined, { signal });
      return {
        text: `whole from ${request.model}`,
        done: {
          type: 'done',
          finishReason: 'stop',
          usage: { inputTokens: 1, outputTokens: 3, cachedTokens: 0 },
        },
      };
    },
  };

  it('comes from one non-streamed call, as its text and its done chunk', async () => {
    const router = new Router({ provider: () => whole });
    const chunks: Chunk[] = [];
    for await (const chunk of router.stream(
      route(['m']),
      request,
      new AbortController().signal,
      {},
      { whole: true },
    ))
      chunks.push(chunk);
    expect(chunks).toEqual([
      { type: 'text', text: 'whole from m' },
      {
        type: 'done',
        finishReason: 'stop',
        usage: { inputTokens: 1, outputTokens: 3, cachedTokens: 0 },
      },
    ]);
  });

  it('is bounded whole by the target timeout, then falls through', async () => {
    const router = new Router({ provider: () => whole });
    const attempts: string[] = [];
    const events = { onAttempt: (target: TargetConfig) => attempts.push(target.model) };
    const chunks: Chunk[] = [];
    for await (const chunk of router.stream(
      route(['hang', 'm']),
      request,
      new AbortController().signal,
      events,
      { whole: true },
    ))
      chunks.push(chunk);
    expect(text(chunks)).toBe('whole from m');
    expect(attempts).toEqual(['hang', 'm']);
  });

  it('streams from a provider without a non-streamed call', async () => {
    const chunks = await (async () => {
      const collected: Chunk[] = [];
      const router = new Router({ provider: () => mock });
      for await (const chunk of router.stream(
        route(['echo']),
        request,
        new AbortController().signal,
        {},
        { whole: true },
      ))
        collected.push(chunk);
      return collected;
    })();
    expect(chunks.filter((chunk) => chunk.type === 'text')).toHaveLength(3);
    expect(text(chunks)).toBe('Echo: hello world');
  });
});

describe('a route whose targets share a priority', () => {
  it('falls back within the priority first, then to the next one', async () => {
    const attempts: string[] = [];
    const config = route([
      'fail?code=UPSTREAM_UNAVAILABLE',
      'fail?code=UPSTREAM_UNAVAILABLE',
      'echo',
    ]);
    const pooled = {
      ...config,
      targets: config.targets.map((target, index) => ({ ...target, priority: index < 2 ? 0 : 1 })),
    };
    const chunks = await run(new Router({ provider: () => mock }), pooled, attempts);
    expect(text(chunks)).toBe('Echo: hello world');
    expect(attempts.slice(0, 2).sort()).toEqual(['t0#1', 't1#1']);
    expect(attempts[2]).toBe('t2#1');
  });
});
