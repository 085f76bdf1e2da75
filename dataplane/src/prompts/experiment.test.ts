import { describe, expect, it } from 'vitest';
import { makeSpec } from '../../../crds/prompts/fixtures.ts';
import { buildPromptCatalog } from './catalog.ts';
import { bucketOf, experimentFor } from './experiment.ts';
import { createPromptResolver } from './resolver.ts';
import { selectVersion } from './select-version.ts';

const control = makeSpec({ version: '1.0.0' });
const tenPercent = makeSpec({ version: '1.1.0', experiment: { percent: 10 } });
const thirty = makeSpec({ version: '2.0.0-beta.1', experiment: { percent: 30 } });
const users = Array.from({ length: 10_000 }, (_, i) => `acme\u0000user-${String(i)}`);
const share = (versions: readonly (typeof control)[], version: string) =>
  users.filter((u) => experimentFor('greet', versions, u)?.version === version).length /
  users.length;

describe('experimentFor', () => {
  it('gives each experiment its share of 10,000 users within 2 points', () => {
    const versions = [control, tenPercent, thirty];
    expect(share(versions, '1.1.0')).toBeCloseTo(0.1, 1);
    expect(Math.abs(share(versions, '1.1.0') - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(share(versions, '2.0.0-beta.1') - 0.3)).toBeLessThan(0.02);
  });

  it('keeps a user on their version, and assigns nobody without a user', () => {
    const versions = [control, tenPercent];
    for (const user of users.slice(0, 100))
      expect(experimentFor('greet', versions, user)).toBe(experimentFor('greet', versions, user));
    expect(experimentFor('greet', versions, undefined)).toBeUndefined();
  });

  it('moves no user of an experiment when another is added after it', () => {
    const before = users.filter(
      (u) => experimentFor('greet', [control, tenPercent], u) !== undefined,
    );
    const after = [control, tenPercent, thirty];
    expect(before.every((u) => experimentFor('greet', after, u)?.version === '1.1.0')).toBe(true);
  });

  it('splits two prompts independently', () => {
    const same = users.filter(
      (u) => bucketOf('greet', u) < 1000 === bucketOf('summarize', u) < 1000,
    ).length;
    // Independent 10 % splits agree for 82 % of users; identical ones would for all.
    expect(same / users.length).toBeLessThan(0.9);
  });
});

describe('a request that names no version', () => {
  it('is served the highest release that is no experiment', () => {
    expect(selectVersion([tenPercent, control], undefined)?.version).toBe('1.0.0');
  });

  it('gets its experiment through the resolver, and a named version stays named', () => {
    const catalog = buildPromptCatalog(
      [control, tenPercent].map((spec) => ({ spec, source: `${spec.version}.yaml` })),
    );
    const resolver = createPromptResolver({ manifests: () => catalog });
    const inExperiment = users.find((u) => experimentFor('greet', [control, tenPercent], u));
    const outside = users.find((u) => !experimentFor('greet', [control, tenPercent], u));
    expect(resolver.resolve('greet', undefined, { assignee: inExperiment }).version).toBe('1.1.0');
    expect(resolver.resolve('greet', undefined, { assignee: outside }).version).toBe('1.0.0');
    expect(resolver.resolve('greet', '1.0.0', { assignee: inExperiment }).version).toBe('1.0.0');
    expect(resolver.resolve('greet').version).toBe('1.0.0');
  });
});

describe('the catalog', () => {
  it('refuses experiments of one prompt that share out more than 100 %', () => {
    const many = [
      makeSpec({ version: '1.1.0', experiment: { percent: 60 } }),
      makeSpec({ version: '1.2.0', experiment: { percent: 50 } }),
    ];
    expect(() =>
      buildPromptCatalog(many.map((spec) => ({ spec, source: `greet-${spec.version}.yaml` }))),
    ).toThrow(/experiments of greet to 110 % of its users \(greet-1.1.0.yaml, greet-1.2.0.yaml\)/);
  });
});
