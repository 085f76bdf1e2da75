import { describe, expect, it } from 'vitest';
import { promptChecksum } from '../../../crds/checksum.ts';
import { computeManifestChecksum, withChecksum } from './checksum-edit.ts';
import { makeSpec, manifestYaml } from '../../../crds/prompts/fixtures.ts';
import { ManifestError, parsePromptManifest } from '../../../crds/prompts/manifest.ts';

const STALE = `sha256:${'0'.repeat(64)}`;

describe('computeManifestChecksum', () => {
  it("computes the checksum of a file's spec, ignoring the stale one it carries", () => {
    const spec = makeSpec();
    expect(computeManifestChecksum(manifestYaml({ ...spec, checksum: STALE }), 'f')).toBe(
      spec.checksum,
    );
  });

  it('computes it for a spec that carries none yet', () => {
    const { checksum, ...rest } = makeSpec();
    expect(computeManifestChecksum(manifestYaml(rest), 'f')).toBe(checksum);
    expect(promptChecksum(rest)).toBe(checksum);
  });

  it('refuses a file that is not a PromptManifest', () => {
    expect(() => computeManifestChecksum('kind: ConfigMap\n', 'f')).toThrow(ManifestError);
  });
});

describe('withChecksum', () => {
  it('replaces the checksum in place, leaving every other byte as it was', () => {
    const text = [
      '# A comment that must survive.',
      'apiVersion: inference.enis.io/v1alpha1',
      'kind: PromptManifest',
      'metadata: {name: greet-v1}   # flow style stays',
      'spec:',
      '  id: greet',
      "  version: '1.0.0'",
      '  slices:',
      '    - {name: u, role: user, text: "Hi {{name}}"}',
      `  checksum: "${STALE}" # trailing comment`,
      '',
    ].join('\n');
    const fixed = withChecksum(text, 'sha256:abc');
    expect(fixed).toBe(text.replace(`"${STALE}"`, 'sha256:abc'));
  });

  it('adds a checksum to a spec that has none, keeping comments', () => {
    const { checksum, ...rest } = makeSpec();
    const text = `# keep me\n${manifestYaml(rest)}`;
    const fixed = withChecksum(text, checksum);
    expect(fixed.startsWith('# keep me\n')).toBe(true);
    expect(parsePromptManifest(fixed, 'f').checksum).toBe(checksum);
  });

  it('yields a manifest that verifies once given the computed checksum', () => {
    const spec = makeSpec();
    const text = manifestYaml({ ...spec, checksum: STALE });
    expect(
      parsePromptManifest(withChecksum(text, computeManifestChecksum(text, 'f')), 'f'),
    ).toEqual(spec);
  });
});
