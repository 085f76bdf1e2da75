import { describe, expect, it } from 'vitest';
import { promptChecksum, sha256Hex } from './checksum.ts';
import type { PromptManifestSpec } from './prompt-manifest.ts';

const spec: PromptManifestSpec = {
  version: '1.0.0',
  id: 'greeting',
  slices: [{ text: 'Say hello to {{name}}.', role: 'user', name: 'ask' }],
  checksum: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
};

describe('promptChecksum', () => {
  it('is the SHA-256 of the canonical JSON of the spec without its checksum', () => {
    const canonical =
      '{"id":"greeting","slices":[{"name":"ask","role":"user","text":"Say hello to {{name}}."}],"version":"1.0.0"}';
    expect(promptChecksum(spec)).toBe(`sha256:${sha256Hex(canonical)}`);
  });

  it('ignores the checksum field and the order of keys', () => {
    const withoutChecksum = { id: spec.id, version: spec.version, slices: spec.slices };
    const reordered = { ...spec, checksum: 'sha256:stale', slices: spec.slices, id: spec.id };
    expect(promptChecksum(withoutChecksum)).toBe(promptChecksum(spec));
    expect(promptChecksum(reordered)).toBe(promptChecksum(spec));
  });

  it('changes when the text of a slice changes', () => {
    const edited = {
      ...spec,
      slices: [{ name: 'ask', role: 'user' as const, text: 'Hi {{name}}.' }],
    };
    expect(promptChecksum(edited)).not.toBe(promptChecksum(spec));
  });

  it('hashes the UTF-8 bytes: a known SHA-256 vector', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('has the sha256:<64 hex> shape the schema requires', () => {
    expect(promptChecksum(spec)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
