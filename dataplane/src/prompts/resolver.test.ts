import { describe, expect, it } from 'vitest';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';
import { ApiError } from '../errors/api-error.ts';
import { EMBEDDED_FALLBACK_PROMPT } from './fallback.ts';
import { makeSpec } from '../../../crds/prompts/fixtures.ts';
import { render } from './render.ts';
import {
  createPromptResolver,
  type PromptCatalog,
  type PromptResolverOptions,
} from './resolver.ts';

const greet = ['1.0.0', '1.1.0', '2.0.0-rc.1'].map((version) => makeSpec({ version }));
const farewell = makeSpec({
  id: 'farewell',
  slices: [{ name: 'u', role: 'user', text: 'Say goodbye to {{name}}.' }],
});

function catalogOf(...specs: PromptManifestSpec[]): PromptCatalog {
  const catalog = new Map<string, PromptManifestSpec[]>();
  for (const spec of specs) catalog.set(spec.id, [...(catalog.get(spec.id) ?? []), spec]);
  return catalog;
}

/** A resolver over a fixed catalog, a clock that only moves when told, and no preload. */
function resolverOver(catalog: PromptCatalog, options: Partial<PromptResolverOptions> = {}) {
  const clock = { now: 0 };
  const resolver = createPromptResolver({
    manifests: () => catalog,
    now: () => clock.now,
    preload: 0,
    ...options,
  });
  return { resolver, clock };
}

function thrownBy(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('createPromptResolver', () => {
  it('resolves the highest release when no version is asked', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    expect(resolver.resolve('greet').version).toBe('1.1.0');
  });

  it('resolves an exact version and a semver range', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    expect(resolver.resolve('greet', '1.0.0').version).toBe('1.0.0');
    expect(resolver.resolve('greet', '~1.0').version).toBe('1.0.0');
    expect(resolver.resolve('greet', '2.0.0-rc.1').version).toBe('2.0.0-rc.1');
  });

  it('compiles a prompt once and serves it from the cache afterwards', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    const first = resolver.resolve('greet');
    expect(resolver.resolve('greet')).toBe(first);
    expect(resolver.resolve('greet')).toBe(first);
    expect(resolver.stats()).toMatchObject({ hits: 2, misses: 1, fallbacks: 0 });
  });

  it('shares one compiled prompt between the spellings of one version', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    const exact = resolver.resolve('greet', '1.1.0');
    expect(resolver.resolve('greet', '^1')).toBe(exact);
    expect(resolver.resolve('greet')).toBe(exact);
    expect(resolver.stats()).toMatchObject({ hits: 2, misses: 1, cached: 3 });
  });

  it('answers an unknown id with PROMPT_NOT_FOUND (404)', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    const error = thrownBy(() => resolver.resolve('nope'));
    expect(error.code).toBe('PROMPT_NOT_FOUND');
    expect(error.status).toBe(404);
    expect(error.details).toEqual({ id: 'nope' });
    expect(error.message).toBe('No prompt has the id "nope".');
  });

  it('answers a version nothing matches with PROMPT_NOT_FOUND listing the versions', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    const error = thrownBy(() => resolver.resolve('greet', '^3'));
    expect(error.code).toBe('PROMPT_NOT_FOUND');
    expect(error.details).toEqual({ id: 'greet', version: '^3' });
    expect(error.message).toContain('it has 1.0.0, 1.1.0, 2.0.0-rc.1');
  });

  it('answers a version that is no version or range with BAD_REQUEST, fallback or not', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    expect(thrownBy(() => resolver.resolve('greet', 'newest', { fallback: true })).code).toBe(
      'BAD_REQUEST',
    );
  });

  it('serves the embedded fallback for an unknown prompt when the caller asks for it', () => {
    const { resolver } = resolverOver(catalogOf(...greet));
    const served = resolver.resolve('nope', undefined, { fallback: true });
    expect(served.id).toBe(EMBEDDED_FALLBACK_PROMPT.id);
    expect(resolver.resolve('greet', '^3', { fallback: true })).toBe(served);
    expect(resolver.stats()).toMatchObject({ fallbacks: 2, hits: 0, misses: 0 });
    expect(render(served, { topic: 'billing' })[1]).toEqual({
      role: 'user',
      content: 'Inputs (JSON):\n{"topic":"billing"}',
    });
  });

  it('serves a configured fallback instead of the embedded one', () => {
    const { resolver } = resolverOver(catalogOf(...greet), { fallback: farewell });
    expect(resolver.resolve('nope', undefined, { fallback: true }).id).toBe('farewell');
  });

  it('answers PROMPT_NOT_FOUND even on request when the fallback is turned off', () => {
    const { resolver } = resolverOver(catalogOf(...greet), { fallback: null });
    expect(thrownBy(() => resolver.resolve('nope', undefined, { fallback: true })).code).toBe(
      'PROMPT_NOT_FOUND',
    );
  });

  it('serves the fallback when a compile runs over the budget, then the cached prompt', () => {
    const clock = { now: 0 };
    const catalog = catalogOf(...greet);
    const resolver = createPromptResolver({
      manifests: () => catalog,
      preload: 0,
      budgetMs: 15,
      now: () => (clock.now += 20), // every reading is 20 ms after the last
    });
    expect(resolver.resolve('greet').id).toBe(EMBEDDED_FALLBACK_PROMPT.id);
    expect(resolver.resolve('greet').id).toBe('greet');
    expect(resolver.stats()).toMatchObject({ misses: 1, hits: 1, fallbacks: 1 });
  });

  it('serves the compiled prompt over the budget when there is no fallback', () => {
    let now = 0;
    const catalog = catalogOf(...greet);
    const resolver = createPromptResolver({
      manifests: () => catalog,
      preload: 0,
      fallback: null,
      now: () => (now += 100),
    });
    expect(resolver.resolve('greet').id).toBe('greet');
    expect(resolver.stats().fallbacks).toBe(0);
  });

  it('compiles a prompt again once its TTL has passed', () => {
    const { resolver, clock } = resolverOver(catalogOf(...greet), { ttlMs: 1000 });
    const first = resolver.resolve('greet');
    clock.now = 999;
    expect(resolver.resolve('greet')).toBe(first);
    clock.now = 1000;
    const second = resolver.resolve('greet');
    expect(second).not.toBe(first);
    expect(second.spec).toBe(first.spec);
    expect(resolver.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('defaults the TTL to 15 minutes', () => {
    const { resolver, clock } = resolverOver(catalogOf(...greet));
    const first = resolver.resolve('greet');
    clock.now = 15 * 60_000 - 1;
    expect(resolver.resolve('greet')).toBe(first);
    clock.now = 15 * 60_000;
    expect(resolver.resolve('greet')).not.toBe(first);
  });

  it('keeps at most maxEntries compiled prompts, the least recently used leaving first', () => {
    const { resolver } = resolverOver(catalogOf(...greet, farewell), { maxEntries: 2 });
    resolver.resolve('greet', '1.0.0');
    resolver.resolve('farewell', '1.0.0');
    resolver.resolve('greet', '1.1.0');
    expect(resolver.stats().cached).toBe(2);
    resolver.resolve('greet', '1.0.0');
    expect(resolver.stats()).toMatchObject({ misses: 4, hits: 0 });
  });

  it('preloads the latest version of the first ids, 20 by default', () => {
    const catalog = catalogOf(...greet, farewell);
    const preloaded = createPromptResolver({ manifests: () => catalog });
    // `greet`, `greet@1.1.0`, `farewell` and `farewell@1.0.0`
    expect(preloaded.stats().cached).toBe(4);
    preloaded.resolve('greet');
    preloaded.resolve('farewell', '1.0.0');
    expect(preloaded.stats()).toMatchObject({ hits: 2, misses: 0 });

    const { resolver } = resolverOver(catalogOf(...greet, farewell), { preload: 1 });
    expect(resolver.stats().cached).toBe(2);
  });

  it('counts the manifests of the current snapshot as loaded', () => {
    const { resolver } = resolverOver(catalogOf(...greet, farewell));
    expect(resolver.stats()).toEqual({ loaded: 4, cached: 0, hits: 0, misses: 0, fallbacks: 0 });
  });

  it('serves the new snapshot after invalidate, keeping its counters', () => {
    let catalog = catalogOf(greet[0]!);
    const resolver = createPromptResolver({ manifests: () => catalog, preload: 0 });
    expect(resolver.resolve('greet').version).toBe('1.0.0');
    catalog = catalogOf(...greet);
    resolver.invalidate();
    expect(resolver.resolve('greet').version).toBe('1.1.0');
    expect(resolver.stats()).toMatchObject({ loaded: 3, misses: 2 });
  });

  it('preloads again on invalidate', () => {
    let catalog: PromptCatalog = new Map();
    const resolver = createPromptResolver({ manifests: () => catalog });
    catalog = catalogOf(farewell);
    resolver.invalidate();
    expect(resolver.stats().cached).toBe(2);
  });

  it('notices a new snapshot by itself and drops what it cached from the old one', () => {
    let catalog = catalogOf(greet[0]!);
    const resolver = createPromptResolver({ manifests: () => catalog, preload: 0 });
    resolver.resolve('greet');
    catalog = catalogOf(greet[1]!);
    expect(resolver.resolve('greet').version).toBe('1.1.0');
    expect(resolver.stats().cached).toBe(2);
  });

  it('answers INTERNAL for a manifest that fails to compile, which preload skipped', () => {
    const broken = { ...makeSpec({ id: 'broken' }), variables: { type: 'strin' } };
    const catalog = catalogOf(broken);
    const resolver = createPromptResolver({ manifests: () => catalog });
    expect(resolver.stats().cached).toBe(0);
    const error = thrownBy(() => resolver.resolve('broken'));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('Prompt broken@1.0.0 failed to compile.');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('resolves and renders correctly 10,000 times in a row', () => {
    const catalog = catalogOf(...greet, farewell);
    const resolver = createPromptResolver({ manifests: () => catalog });
    for (let i = 0; i < 10_000; i++) {
      const name = `user-${i}`;
      const [system, user] = render(resolver.resolve('greet', '^1'), {
        name,
      });
      if (system?.content !== 'You greet people warmly.' || user?.content !== `Greet ${name}.`) {
        expect.fail(`iteration ${i} rendered ${JSON.stringify([system, user])}`);
      }
      const [bye] = render(resolver.resolve('farewell'), { name });
      if (bye?.content !== `Say goodbye to ${name}.`)
        expect.fail(`iteration ${i}: ${bye?.content}`);
    }
    expect(resolver.stats()).toMatchObject({ hits: 20_000, misses: 0, fallbacks: 0 });
  });
});
