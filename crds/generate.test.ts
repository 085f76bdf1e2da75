import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { celRules } from './api-reference.ts';
import { celCases } from './cel-cases.ts';
import { CATEGORY, GROUP, VERSION, type KindDescriptor } from './common.ts';
import { crdName, customResourceDefinition, type CustomResourceDefinition } from './generate.ts';
import { kinds } from './index.ts';
import type { JsonSchema } from './structural.ts';

/** The CRD exactly as `make gen` wrote it. */
function generated(kind: KindDescriptor): CustomResourceDefinition {
  const url = new URL(`./generated/${crdName(kind)}.yaml`, import.meta.url);
  return parse(readFileSync(url, 'utf8')) as CustomResourceDefinition;
}

function schemaOf(crd: CustomResourceDefinition): JsonSchema {
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/** Every schema node with its JSON path. */
function* nodes(schema: JsonSchema, path: string): Generator<[string, JsonSchema]> {
  yield [path, schema];
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  for (const [name, child] of Object.entries(properties)) yield* nodes(child, `${path}.${name}`);
  const items = schema['items'] as JsonSchema | undefined;
  if (items) yield* nodes(items, `${path}[]`);
  const additional = schema['additionalProperties'];
  if (typeof additional === 'object') yield* nodes(additional as JsonSchema, `${path}.*`);
}

describe.each(kinds.map((kind) => [kind.kind, kind] as const))('the %s CRD', (_, kind) => {
  const crd = generated(kind);
  const version = crd.spec.versions[0]!;
  const all = [...nodes(schemaOf(crd), '')];

  it('is the one the schemas generate (make gen is up to date)', () => {
    expect(crd).toEqual(customResourceDefinition(kind));
  });

  it('is namespaced, in the inference category, with short names and a status subresource', () => {
    expect(crd.metadata.name).toBe(`${kind.plural}.${GROUP}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: kind.kind, categories: [CATEGORY] });
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      [VERSION, true, true],
    ]);
    expect(version.subresources).toEqual({ status: {} });
  });

  it('shows its own columns, then Ready, Reason and Age', () => {
    const columns = version.additionalPrinterColumns;
    expect(columns.slice(-3)).toEqual([
      expect.objectContaining({
        name: 'Ready',
        jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      }),
      expect.objectContaining({
        name: 'Reason',
        jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      }),
      expect.objectContaining({
        name: 'Age',
        type: 'date',
        jsonPath: '.metadata.creationTimestamp',
      }),
    ]);
    expect(columns.length).toBeGreaterThan(3);
  });

  it('prints no wildcard column, of which kubectl would show only the first match', () => {
    expect(version.additionalPrinterColumns.filter((c) => c.jsonPath.includes('[*]'))).toEqual([]);
  });

  it('is structural: every node has a type, or is int-or-string, or keeps unknown fields', () => {
    const untyped = all.filter(
      ([, node]) =>
        !('type' in node) &&
        node['x-kubernetes-int-or-string'] !== true &&
        node['x-kubernetes-preserve-unknown-fields'] !== true,
    );
    expect(untyped.map(([path]) => path)).toEqual([]);
  });

  it('has no $ref, no const, and no union except int-or-string', () => {
    const text = JSON.stringify(schemaOf(crd));
    expect(text).not.toContain('"$ref"');
    expect(text).not.toContain('"const"');
    expect(text).not.toContain('"oneOf"');
    const unions = all.filter(([, node]) => 'anyOf' in node);
    for (const [, node] of unions) {
      expect(node['x-kubernetes-int-or-string']).toBe(true);
      expect(node['anyOf']).toEqual([{ type: 'integer' }, { type: 'string' }]);
    }
  });

  it('never sets additionalProperties beside properties', () => {
    const both = all.filter(([, node]) => 'properties' in node && 'additionalProperties' in node);
    expect(both).toEqual([]);
  });

  it('describes every field of spec and status (kubectl explain)', () => {
    const fields = all.filter(([path]) => path.startsWith('.spec') || path.startsWith('.status'));
    const bare = fields.filter(([, node]) => typeof node['description'] !== 'string');
    expect(bare.map(([path]) => path)).toEqual([]);
  });

  it('metadata is a plain object', () => {
    expect((schemaOf(crd)['properties'] as Record<string, unknown>)['metadata']).toEqual({
      type: 'object',
    });
  });

  it('bounds every list and string a CEL rule iterates over (API server cost limits)', () => {
    for (const [path, node] of all) {
      if (!('x-kubernetes-validations' in node) || node['type'] !== 'array') continue;
      expect(node['maxItems'], path).toBeTypeOf('number');
      const items = node['items'] as JsonSchema;
      const names = ((items['properties'] ?? {}) as Record<string, JsonSchema>)['name'];
      if (names) expect(names['maxLength'], `${path}[].name`).toBeTypeOf('number');
    }
    const version = all.find(([path]) => path === '.spec.version')?.[1];
    if (version && 'x-kubernetes-validations' in version) expect(version['maxLength']).toBe(128);
  });
});

describe('CEL rules', () => {
  const rules = kinds.flatMap((kind) =>
    celRules(schemaOf(generated(kind)), '').map((rule) => ({ kind: kind.kind, ...rule })),
  );

  it.each(celCases.map((c) => [c.kind.kind, c.path, c.message, c] as const))(
    '%s %s carries the rule "%s"',
    (kind, path, message) => {
      expect(rules).toContainEqual(expect.objectContaining({ kind, path, message }));
    },
  );

  it('each rule has an invalid case that proves it', () => {
    const proven = new Set(celCases.map((c) => `${c.kind.kind} ${c.path} ${c.message}`));
    const unproven = rules.filter(
      (rule) => !proven.has(`${rule.kind} ${rule.path} ${rule.message}`),
    );
    expect(unproven).toEqual([]);
  });

  it('name the field for cross-field rules, relative to the node that carries them', () => {
    const inferenceModel = schemaOf(generated(kinds[0]!));
    const spec = (inferenceModel['properties'] as Record<string, JsonSchema>)['spec']!;
    expect(spec['x-kubernetes-validations']).toContainEqual(
      expect.objectContaining({ fieldPath: '.image', reason: 'FieldValueRequired' }),
    );
  });
});
