import { describe, expect, it } from 'vitest';
import { makeSpec, manifestYaml } from './fixtures.ts';
import { ManifestError, parsePromptManifest } from './manifest.ts';

const SOURCE = 'prompts/greet-v1.yaml';

function refusal(text: string): ManifestError {
  try {
    parsePromptManifest(text, SOURCE);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parsePromptManifest', () => {
  it('returns the spec of a valid manifest, deeply frozen', () => {
    const spec = makeSpec({ parameters: { temperature: 0.3 } });
    const parsed = parsePromptManifest(manifestYaml(spec), SOURCE);
    expect(parsed).toEqual(spec);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.slices[0])).toBe(true);
    expect(Object.isFrozen(parsed.variables)).toBe(true);
  });

  it('reads a manifest written as JSON, which is YAML too', () => {
    const text = JSON.stringify({
      apiVersion: 'inference.enis.io/v1alpha1',
      kind: 'PromptManifest',
      metadata: { name: 'greet' },
      spec: makeSpec(),
    });
    expect(parsePromptManifest(text, SOURCE).id).toBe('greet');
  });

  it('accepts a stale checksum when asked not to verify it', () => {
    const spec = { ...makeSpec(), checksum: `sha256:${'0'.repeat(64)}` };
    const parsed = parsePromptManifest(manifestYaml(spec), SOURCE, { verifyChecksum: false });
    expect(parsed.checksum).toBe(spec.checksum);
  });

  it('refuses a checksum mismatch, saying what was expected and what was declared', () => {
    const good = makeSpec();
    const stale = { ...good, checksum: `sha256:${'a'.repeat(64)}` };
    const error = refusal(manifestYaml(stale));
    expect(error.path).toBe('spec.checksum');
    expect(error.source).toBe(SOURCE);
    expect(error.message).toContain(`expected ${good.checksum} (computed)`);
    expect(error.message).toContain(`actual ${stale.checksum} (declared)`);
  });

  it('refuses a spec edited after its checksum was computed', () => {
    const spec = { ...makeSpec(), description: 'edited afterwards' };
    expect(refusal(manifestYaml(spec)).path).toBe('spec.checksum');
  });

  const envelope = (rest: string): string =>
    `apiVersion: inference.enis.io/v1alpha1\nkind: PromptManifest\n${rest}`;

  it.each([
    ['an empty file', '', undefined, 'holds 0 YAML documents'],
    [
      'two documents',
      `${manifestYaml(makeSpec())}---\n${manifestYaml(makeSpec())}`,
      undefined,
      'holds 2 YAML documents',
    ],
    ['broken YAML', 'spec: [unclosed', undefined, 'is not valid YAML'],
    ['a duplicated key', 'kind: a\nkind: b\n', undefined, 'is not valid YAML'],
    ['a list', '- a\n- b\n', undefined, 'must be a YAML mapping'],
    [
      'another apiVersion',
      'apiVersion: v1\nkind: PromptManifest\n',
      'apiVersion',
      'must be "inference.enis.io/v1alpha1", not "v1"',
    ],
    [
      'another kind',
      'apiVersion: inference.enis.io/v1alpha1\nkind: ConfigMap\n',
      'kind',
      'not "ConfigMap"',
    ],
    ['no kind', 'apiVersion: inference.enis.io/v1alpha1\n', 'kind', 'not nothing'],
    ['no metadata.name', envelope('metadata: {}\n'), 'metadata.name', 'must be a DNS subdomain'],
    [
      'an uppercase name',
      envelope('metadata: {name: Greet}\n'),
      'metadata.name',
      'must be a DNS subdomain',
    ],
    ['no spec', envelope('metadata: {name: greet}\n'), 'spec', 'is required'],
  ])('refuses %s', (_, text, path, message) => {
    const error = refusal(text);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${SOURCE}: `)).toBe(true);
  });

  it.each([
    [
      'an unknown role, listing the roles',
      { slices: [{ name: 's', role: 'tool', text: 'x' }] },
      'spec.slices[0].role',
      'spec.slices[0].role must be one of: "system", "user", "assistant"',
    ],
    ['no slices', { slices: [] }, 'spec.slices', 'must NOT have fewer than 1 items'],
    ['an unknown field', { temperature: 1 }, 'spec.temperature', 'is not an allowed field'],
    ['a bad id', { id: 'Greet Me' }, 'spec.id', 'must match pattern'],
    [
      'a version YAML read as a number',
      { version: 1.5 },
      'spec.version',
      'must be a string (got number 1.5; quote it in YAML)',
    ],
    ['a version with a v', { version: 'v1.2.0' }, 'spec.version', 'must be a semver 2.0 version'],
    ['a two-part version', { version: '1.2' }, 'spec.version', 'not "1.2"'],
    [
      'two slices with one name',
      {
        slices: [
          { name: 'a', role: 'system', text: 'x' },
          { name: 'a', role: 'user', text: 'y' },
        ],
      },
      'spec.slices[1].name',
      'repeats the slice name "a"',
    ],
    [
      'variables that are not an object',
      { variables: { type: 'string' } },
      'spec.variables.type',
      'must be "object"',
    ],
    [
      'a variables schema with a misspelt type',
      { variables: { type: 'object', properties: { a: { type: 'strin' } } } },
      'spec.variables',
      'is not a valid JSON Schema',
    ],
    [
      'a variables schema with an unknown keyword',
      { variables: { type: 'object', require: ['name'] } },
      'spec.variables',
      'unknown keyword: "require"',
    ],
    [
      'a placeholder that a closed schema can never supply',
      {
        variables: { type: 'object', additionalProperties: false, properties: { nom: {} } },
      },
      'spec.slices',
      'uses {{name}}, which the variables schema does not allow',
    ],
    [
      'a temperature out of range',
      { parameters: { temperature: 3 } },
      'spec.parameters.temperature',
      'must be <= 2',
    ],
  ])('refuses a spec with %s', (_, overrides, path, message) => {
    const spec = { ...makeSpec(), ...overrides };
    const error = refusal(manifestYaml(spec));
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
  });

  it('accepts a closed schema that declares every placeholder, {{.}} included', () => {
    const spec = makeSpec({
      slices: [{ name: 'u', role: 'user', text: '{{user.name}} {{.}}' }],
      variables: { type: 'object', additionalProperties: false, properties: { user: {} } },
    });
    expect(parsePromptManifest(manifestYaml(spec), SOURCE).id).toBe('greet');
  });

  it('names the ManifestError and keeps the cause of a schema that fails to compile', () => {
    const spec = { ...makeSpec(), variables: { type: 'object', properties: { a: { type: 'x' } } } };
    const error = refusal(manifestYaml(spec));
    expect(error.name).toBe('ManifestError');
    expect(error.cause).toBeInstanceOf(Error);
  });
});
