import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promptChecksum } from '../../../crds/checksum.ts';
import type { PromptManifest } from '../../../crds/prompt-manifest.ts';
import { NOW, prompt } from '../../test/fixtures.ts';
import { promptFile, reconcilePromptManifest, resolvePrompts } from './prompt-manifest.ts';

/** A copy of the sample with spec changes and a checksum that matches them. */
function variant(
  name: string,
  change: (spec: PromptManifest['spec']) => PromptManifest['spec'],
  created?: string,
): PromptManifest {
  const base = prompt(name, undefined, created);
  const spec = change(structuredClone(base.spec));
  return { ...base, spec: { ...spec, checksum: promptChecksum(spec) } };
}

const condition = (m: PromptManifest | undefined, type: string) =>
  m?.status?.conditions?.find((c) => c.type === type);

describe('resolvePrompts', () => {
  it('accepts the sample, whose checksum verifies', () => {
    const resolved = resolvePrompts([prompt()]).get('support-triage');
    expect(resolved?.valid).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(resolved?.file).toBeDefined();
  });

  it('refuses a checksum mismatch, saying expected and actual', () => {
    const tampered = prompt('tampered', { description: 'edited after the checksum' });
    const resolved = resolvePrompts([tampered]).get('tampered');
    expect(resolved?.file).toBeUndefined();
    expect(resolved?.valid.reason).toBe('ChecksumMismatch');
    expect(resolved?.valid.message).toContain(`expected ${tampered.spec.checksum}`);
    expect(resolved?.valid.message).toContain(`actual ${promptChecksum(tampered.spec)}`);
    expect(resolved?.actualChecksum).toBe(promptChecksum(tampered.spec));
  });

  it('refuses a manifest the dataplane would refuse, with the dataplane parser’s message', () => {
    const closed = variant('closed', (spec) => ({
      ...spec,
      variables: {
        type: 'object',
        additionalProperties: false,
        properties: { product: { type: 'string' } },
      },
    }));
    const resolved = resolvePrompts([closed]).get('closed');
    expect(resolved?.valid.reason).toBe('InvalidManifest');
    expect(resolved?.file).toBeUndefined();
  });

  it('refuses a breaking change without a major bump, and accepts it with one', () => {
    const v1 = prompt('v1');
    const minor = variant(
      'v1-3',
      (spec) => ({ ...spec, version: '1.3.0', slices: spec.slices.slice(0, 1) }),
      '2026-02-01T00:00:00Z',
    );
    const major = variant(
      'v2',
      (spec) => ({ ...spec, version: '2.0.0', slices: spec.slices.slice(0, 1) }),
      '2026-03-01T00:00:00Z',
    );
    const resolved = resolvePrompts([major, minor, v1]);
    expect(resolved.get('v1-3')?.valid.reason).toBe('BreakingChangeWithoutMajorBump');
    expect(resolved.get('v1-3')?.breakingChange).toContain('slice question was removed');
    expect(resolved.get('v1-3')?.file).toBeUndefined();
    expect(resolved.get('v2')?.valid.status).toBe('True');
    expect(resolved.get('v2')?.valid.message).toContain('announced by the major version bump');
  });

  it('serves one version once: the older resource keeps it', () => {
    const first = prompt('first', undefined, '2026-01-01T00:00:00Z');
    const second = prompt('second', undefined, '2026-01-02T00:00:00Z');
    const resolved = resolvePrompts([second, first]);
    expect(resolved.get('first')?.file).toBeDefined();
    expect(resolved.get('second')?.conflict).toMatchObject({
      status: 'False',
      reason: 'DuplicateVersion',
    });
  });
});

describe('A/B experiments', () => {
  const experiment = (name: string, version: string, percent: number, created: string) =>
    variant(name, (spec) => ({ ...spec, version, experiment: { percent } }), created);

  it('serves experiments up to 100 % of the users, and refuses the one that goes over', () => {
    const base = prompt('base', undefined, '2026-01-01T00:00:00Z');
    const a = experiment('a', '1.8.0', 60, '2026-01-02T00:00:00Z');
    const b = experiment('b', '1.9.0', 50, '2026-01-03T00:00:00Z');
    const resolved = resolvePrompts([b, a, base]);
    expect(resolved.get('a')?.file).toBeDefined();
    expect(resolved.get('a')?.conflict.message).toContain('to 60 % of its users (an experiment)');
    expect(resolved.get('b')?.file).toBeUndefined();
    expect(resolved.get('b')?.conflict).toMatchObject({
      status: 'False',
      reason: 'ExperimentOverbooked',
    });
    expect(resolved.get('b')?.conflict.message).toContain('110 %');
  });
});

describe('promptFile', () => {
  it('is the resource without status or server metadata', () => {
    const file = parse(promptFile({ ...prompt(), status: { checksum: 'x' } })) as Record<
      string,
      unknown
    >;
    expect(Object.keys(file)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(file['metadata']).toEqual({ name: 'support-triage' });
  });
});

describe('reconcilePromptManifest', () => {
  it('desires nothing for a manifest that is gone', () => {
    expect(
      reconcilePromptManifest({
        manifest: undefined,
        manifests: [],
        renderedPrompts: undefined,
        now: NOW,
      }),
    ).toEqual({ desired: [] });
  });

  it('is Ready once the rendered ConfigMap holds the file, and Valid with the checksum', () => {
    const m = prompt();
    const pending = reconcilePromptManifest({
      manifest: m,
      manifests: [m],
      renderedPrompts: {},
      now: NOW,
    });
    expect(condition({ ...m, status: pending.status! }, 'Ready')?.reason).toBe('RenderPending');
    const rendered = { 'support-triage.yaml': promptFile(m) };
    const ready = reconcilePromptManifest({
      manifest: m,
      manifests: [m],
      renderedPrompts: rendered,
      now: NOW,
    });
    const out = { ...m, status: ready.status! };
    expect(condition(out, 'Ready')).toMatchObject({ status: 'True', reason: 'Serving' });
    expect(condition(out, 'Valid')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(ready.status?.checksum).toBe(m.spec.checksum);
  });

  it('reports the breaking change in status', () => {
    const v1 = prompt('v1');
    const minor = variant(
      'v1-3',
      (spec) => ({ ...spec, version: '1.3.0', slices: spec.slices.slice(0, 1) }),
      '2026-02-01T00:00:00Z',
    );
    const result = reconcilePromptManifest({
      manifest: minor,
      manifests: [v1, minor],
      renderedPrompts: {},
      now: NOW,
    });
    expect(result.status?.breakingChange).toContain('slice question was removed');
    expect(condition({ ...minor, status: result.status! }, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'BreakingChangeWithoutMajorBump',
    });
  });
});
