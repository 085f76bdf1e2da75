import { describe, expect, it } from 'vitest';
import { buildPromptCatalog } from './catalog.ts';
import { makeSpec } from '../../../crds/prompts/fixtures.ts';
import { ManifestError } from '../../../crds/prompts/manifest.ts';

describe('buildPromptCatalog', () => {
  it('groups versions by id, ids in order of first appearance, versions highest first', () => {
    const catalog = buildPromptCatalog([
      { spec: makeSpec({ id: 'b', version: '1.0.0' }), source: 'b1' },
      { spec: makeSpec({ id: 'a', version: '1.0.0' }), source: 'a1' },
      { spec: makeSpec({ id: 'b', version: '1.10.0' }), source: 'b10' },
      { spec: makeSpec({ id: 'b', version: '1.9.0' }), source: 'b9' },
    ]);
    expect([...catalog.keys()]).toEqual(['b', 'a']);
    expect(catalog.get('b')?.map((spec) => spec.version)).toEqual(['1.10.0', '1.9.0', '1.0.0']);
  });

  it('refuses two manifests of one version, naming both files', () => {
    const build = () =>
      buildPromptCatalog([
        { spec: makeSpec({ version: '1.0.0+a' }), source: 'prompts/one.yaml' },
        { spec: makeSpec({ version: '1.0.0+b' }), source: 'prompts/two.yaml' },
      ]);
    expect(build).toThrow(ManifestError);
    expect(build).toThrow(
      'prompts/two.yaml: spec.version declares greet@1.0.0+b, as prompts/one.yaml already does',
    );
  });

  it('builds an empty catalog from no manifests', () => {
    expect(buildPromptCatalog([]).size).toBe(0);
  });
});
