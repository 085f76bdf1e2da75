import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { promptChecksum } from './checksum.ts';
import { API_VERSION, kindFileName } from './common.ts';
import { customResourceDefinition } from './generate.ts';
import { kinds } from './index.ts';
import { SEMVER, type PromptManifestSpec } from './prompt-manifest.ts';
import { ProviderRouteSpec } from './provider-route.ts';
import { readSample, SAMPLES_DIR } from './sample-files.ts';
import addFormats from 'ajv-formats';

/** ajv over the CRD's own structural schema: the API server's view, CEL aside. */
function crdValidator() {
  // strictTypes off: int-or-string nodes carry string and number keywords without a type.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  addFormats.default(ajv);
  for (const keyword of [
    'x-kubernetes-validations',
    'x-kubernetes-int-or-string',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-preserve-unknown-fields',
  ]) {
    ajv.addKeyword({ keyword });
  }
  return ajv;
}

describe.each(kinds.map((kind) => [kind.kind, kind] as const))('the %s sample', (_, kind) => {
  const sample = readSample(kind);

  it('is this kind, in this API version, without a namespace', () => {
    expect(sample).toMatchObject({ apiVersion: API_VERSION, kind: kind.kind });
    expect(sample.metadata).not.toHaveProperty('namespace');
  });

  it('is valid against the TypeBox spec schema, as written and with defaults applied', () => {
    expect([...Value.Errors(kind.spec, sample.spec)]).toEqual([]);
    const defaulted: unknown = Value.Default(kind.spec, Value.Clone(sample.spec));
    expect(Value.Check(kind.spec, defaulted)).toBe(true);
  });

  it("is valid against the generated CRD's structural schema", () => {
    const crd = customResourceDefinition(kind);
    const validate = crdValidator().compile(crd.spec.versions[0]!.schema.openAPIV3Schema);
    expect(validate(sample), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('the samples directory', () => {
  it('holds exactly one sample per kind', () => {
    const files = readdirSync(SAMPLES_DIR).sort();
    expect(files).toEqual(kinds.map((kind) => `${kindFileName(kind.kind)}.yaml`).sort());
  });
});

describe('the PromptManifest sample', () => {
  const kind = kinds.find((candidate) => candidate.kind === 'PromptManifest')!;
  const spec = readSample(kind).spec as PromptManifestSpec;

  it('carries the checksum of its own spec', () => {
    expect(spec.checksum).toBe(promptChecksum(spec));
  });

  it('has a semantic version', () => {
    expect(spec.version).toMatch(new RegExp(SEMVER));
  });
});

describe('the ProviderRoute sample', () => {
  const kind = kinds.find((candidate) => candidate.kind === 'ProviderRoute')!;
  const spec = readSample(kind).spec as ProviderRouteSpec;

  it('is served by the mock provider and falls back to OpenAI with a Secret key', () => {
    expect(spec.targets.map((target) => target.provider)).toEqual(['mock', 'openai']);
    expect(spec.targets[1]?.credentials?.secretKeyRef).toEqual({
      name: 'openai-credentials',
      key: 'api-key',
    });
  });

  it('gets the defaults it leaves out: weight 1 per target', () => {
    const defaulted = Value.Default(ProviderRouteSpec, Value.Clone(spec)) as ProviderRouteSpec;
    expect(defaulted.targets.map((target) => target.weight)).toEqual([1, 1]);
  });
});
