/**
 * The budget guard when Redis fails: unreachable (the pipeline with the guard on a closed
 * port) and killed and restarted mid-load (an AOF Redis under a gateway).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { budgetGuard } from '../../dataplane/src/budget/guard.ts';
import { RedisBudgetStore } from '../../dataplane/src/budget/redis-store.ts';
import { Pipeline } from '../../dataplane/src/engine/pipeline/pipeline.ts';
import { createPromptSource } from '../../dataplane/src/engine/prompt-source.ts';
import { Semaphore } from '../../dataplane/src/engine/routing/semaphore.ts';
import { createSafety } from '../../dataplane/src/engine/safety.ts';
import { createServices } from '../../dataplane/src/engine/services.ts';
import { startAofRedis, waitFor } from '../batch/support.ts';
import { ask, budgetSuite, gateway, messages, nano, opened, usage } from './support.ts';

const suite = budgetSuite();

describe('the store down', () => {
  /**
   * The pipeline with the guard on a Redis that cannot be reached (a closed port), and the
   * gateway's own prompt, safety and routing: a gateway process with its Redis gone would need
   * its batch queue to close, which waits for Redis (noticed, not the guard's doing).
   */
  async function pipelineWithRedisDown() {
    const services = await createServices({
      configDirs: [suite.config().dir],
      watch: false,
      defaultMetrics: false,
    });
    opened.push(() => services.close());
    const dead = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    dead.on('error', () => undefined);
    opened.push(async () => {
      dead.disconnect();
    });
    const snapshot = () => services.snapshot();
    return new Pipeline({
      snapshot,
      router: services.router,
      semaphore: new Semaphore({ limit: 4, queueTimeoutMs: 0 }),
      prompts: createPromptSource(services.prompts),
      safety: createSafety(() => services.snapshot().gateway.safety),
      stages: [budgetGuard({ store: new RedisBudgetStore(dead), snapshot })],
    });
  }
  const context = (tenant: string) => ({
    requestId: `down-${tenant}`,
    tenant,
    principal: 'test',
    surface: 'inference' as const,
    signal: new AbortController().signal,
    deadlineMs: 10_000,
  });

  it('refuses with BUDGET_UNAVAILABLE (503), never a free pass', async () => {
    const pipeline = await pipelineWithRedisDown();
    const refusal = pipeline.complete(context('strict'), {
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    await expect(refusal).rejects.toMatchObject({
      code: 'BUDGET_UNAVAILABLE',
      status: 503,
      retryAfterS: 1,
    });
  });

  it('serves a tenant whose budget says failOpen', async () => {
    const pipeline = await pipelineWithRedisDown();
    const answer = await pipeline.complete(context('open'), {
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(answer.text).toBe('Echo: hello there');
  });
});

describe('Redis restarted mid-load', () => {
  it('settles the calls in flight once Redis is back, charging each once, and refuses new ones meanwhile', async () => {
    const aof = await startAofRedis();
    opened.push(() => aof.stop());
    const app = await gateway(aof.url);
    const body = { model: 'slow', messages, parameters: { max_tokens: 10 } };
    const inFlight = Array.from({ length: 5 }, (_, index) =>
      ask(app, 'restarts', body, `restart-${index}`),
    );
    await waitFor('the five reservations', async () =>
      (await usage(app, 'restarts')).reserved.tokens === 5 * 15 ? true : undefined,
    );
    await aof.kill();
    const meanwhile = await ask(app, 'restarts', body, 'while-down');
    expect(meanwhile.statusCode).toBe(503);
    expect(meanwhile.json()).toMatchObject({ error: { code: 'BUDGET_UNAVAILABLE' } });
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200]);
    await aof.restart();
    const settled = await waitFor('the five settlements after the restart', async () => {
      const now = await usage(app, 'restarts').catch(() => undefined);
      return now !== undefined && now.reserved.tokens === 0 && now.spent.tokens > 0
        ? now
        : undefined;
    });
    // Each answer cost the same (the mock is deterministic): five of them, no more.
    const one = nano(answers[0]!.headers['x-inference-cost-usd'] as string);
    expect(nano(settled.spent.cost_usd)).toBe(5 * one);
    await sleep(1500);
    expect(await usage(app, 'restarts')).toEqual(settled);
  }, 30_000);
});
