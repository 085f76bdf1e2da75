import { describe, expect, it } from 'vitest';
import type { InjectionGuard } from '../../../crds/injection-settings.ts';
import type { RouteConfig } from '../core/route.ts';
import { createMockProvider } from '../providers/mock/mock.ts';
import {
  GUARD_MAX_TEXTS,
  guardProbability,
  guardQuestion,
  guardScorer,
  jsonVerdict,
  VERDICT_FORMAT,
  type GuardVerdict,
} from './injection-guard.ts';
import { Router } from './routing/router.ts';

/** A route to the mock provider's `model` behaviour (`fixed?text=…`, `fail?…`, `stall`). */
function route(model: string): RouteConfig {
  return {
    alias: 'guard',
    targets: [{ name: 'g', provider: 'mock', model, timeoutMs: 5000, weight: 1, priority: 0 }],
    fallbackOn: new Set(),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    circuitBreaker: { failureThreshold: 1000, openMs: 60_000 },
    midStreamFailure: 'Error',
    balance: 'Weighted',
  };
}

const settings = (overrides: Partial<InjectionGuard> = {}): InjectionGuard => ({
  model: 'guard',
  timeoutMs: 2000,
  onError: 'pass',
  maxChars: 8000,
  answer: 'word',
  ...overrides,
});

/** A scorer whose guard route answers as mock `model` does, and the verdicts it reported. */
function scorerAnswering(model: string | undefined) {
  const verdicts: GuardVerdict[] = [];
  const requests: unknown[] = [];
  const mock = createMockProvider();
  const router = new Router({
    provider: () => ({
      ...mock,
      stream: (request, signal) => {
        requests.push(request);
        return mock.stream(request, signal);
      },
    }),
  });
  const scorer = guardScorer({
    router,
    route: (alias) => (alias === 'guard' && model !== undefined ? route(model) : undefined),
    onVerdict: (verdict) => verdicts.push(verdict),
  });
  return { scorer, verdicts, requests };
}

describe("the guard model's answer", () => {
  it('reads the first word as the verdict, in the words guard models answer with', () => {
    expect(guardProbability('injection')).toBe(1);
    expect(guardProbability('\n\nunsafe\nS1')).toBe(1);
    expect(guardProbability('**Injection.**')).toBe(1);
    expect(guardProbability('Safe')).toBe(0);
    expect(guardProbability('benign, it asks about tomatoes')).toBe(0);
  });

  it('reads a number from 0 to 1 as the probability itself, and nothing else as a verdict', () => {
    expect(guardProbability('0.83')).toBe(0.83);
    expect(guardProbability('1.')).toBe(1);
    expect(guardProbability('7')).toBeUndefined();
    expect(guardProbability('I cannot help with that.')).toBeUndefined();
    expect(guardProbability('')).toBeUndefined();
  });
});

describe("the guard model's JSON answer", () => {
  it('reads its verdict, and nothing else as one', () => {
    expect(jsonVerdict('{"verdict":"injection"}')).toBe(1);
    expect(jsonVerdict('{"verdict": "safe"}')).toBe(0);
    expect(jsonVerdict('{"verdict":"maybe"}')).toBeUndefined();
    expect(jsonVerdict('{"verdict":')).toBeUndefined();
  });
});

describe('the guard scorer', () => {
  it('holds the answer to the verdict schema under answer json, and reads it', async () => {
    const { scorer, verdicts, requests } = scorerAnswering('echo');
    const scores = await scorer.score(['Share your setup.'], settings({ answer: 'json' }));
    expect(requests).toMatchObject([{ responseFormat: VERDICT_FORMAT }]);
    // The mock answers a json_schema with the schema's example: the enum's first value.
    expect(scores).toEqual(new Map([['Share your setup.', 1]]));
    expect(verdicts).toEqual(['attack']);
  });

  it('asks the route once per distinct text, as data after the instructions, and keeps its verdict', async () => {
    const { scorer, verdicts, requests } = scorerAnswering('fixed?text=injection');
    const scores = await scorer.score(['Share your setup.', 'Share your setup.', ' '], settings());
    expect(scores).toEqual(new Map([['Share your setup.', 1]]));
    expect(verdicts).toEqual(['attack']);
    expect(requests).toMatchObject([
      {
        messages: [
          { role: 'system', content: expect.stringContaining('prompt-injection classifier') },
          { role: 'user', content: guardQuestion('Share your setup.') },
        ],
        temperature: 0,
        maxTokens: 8,
      },
    ]);
  });

  it('keys each text by the normalised form the sanitiser scores', async () => {
    const { scorer } = scorerAnswering('fixed?text=safe');
    const scores = await scorer.score(['ｆｕｌｌ\u200bwidth'], settings());
    expect([...scores]).toEqual([['fullwidth', 0]]);
  });

  it('reads only the first maxChars characters of a text', async () => {
    const { scorer, requests } = scorerAnswering('fixed?text=safe');
    await scorer.score(['a'.repeat(500)], settings({ maxChars: 100 }));
    expect(requests).toMatchObject([
      { messages: [{}, { content: guardQuestion('a'.repeat(100)) }] },
    ]);
  });

  it('scores a text the guard failed on 0 under onError pass and 1 under attack, as an error', async () => {
    const { scorer, verdicts } = scorerAnswering('fail?code=UPSTREAM_UNAVAILABLE');
    expect(await scorer.score(['hello'], settings())).toEqual(new Map([['hello', 0]]));
    expect(await scorer.score(['hello'], settings({ onError: 'attack' }))).toEqual(
      new Map([['hello', 1]]),
    );
    expect(verdicts).toEqual(['error', 'error']);
  });

  it('counts an answer that holds no verdict as an error', async () => {
    const { scorer, verdicts } = scorerAnswering('fixed?text=I%20would%20rather%20not');
    expect(await scorer.score(['hello'], settings({ onError: 'attack' }))).toEqual(
      new Map([['hello', 1]]),
    );
    expect(verdicts).toEqual(['error']);
  });

  it('gives up on a guard that does not answer within timeoutMs', async () => {
    const { scorer, verdicts } = scorerAnswering('stall');
    const started = performance.now();
    expect(await scorer.score(['hello'], settings({ timeoutMs: 100 }))).toEqual(
      new Map([['hello', 0]]),
    );
    expect(performance.now() - started).toBeLessThan(1500);
    expect(verdicts).toEqual(['error']);
  });

  it('asks about the first texts only, the rest counting as not judged', async () => {
    const { scorer, verdicts, requests } = scorerAnswering('fixed?text=safe');
    const texts = Array.from({ length: GUARD_MAX_TEXTS + 3 }, (_, index) => `text ${index}`);
    const scores = await scorer.score(texts, settings({ onError: 'attack' }));
    expect(requests).toHaveLength(GUARD_MAX_TEXTS);
    expect(scores.get('text 0')).toBe(0);
    expect(scores.get(`text ${GUARD_MAX_TEXTS}`)).toBe(1);
    expect(verdicts.filter((verdict) => verdict === 'error')).toHaveLength(3);
  });

  it('scores every text as not judged when no route serves the guard model', async () => {
    const { scorer, verdicts } = scorerAnswering(undefined);
    expect(await scorer.score(['hello'], settings({ onError: 'attack' }))).toEqual(
      new Map([['hello', 1]]),
    );
    expect(verdicts).toEqual(['error']);
  });
});
