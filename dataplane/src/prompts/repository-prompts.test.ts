/** The PromptManifest files the repository ships in prompts/ (served by `make run`). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPromptCatalog } from './catalog.ts';
import { parsePromptManifest } from '../../../crds/prompts/manifest.ts';
import { compilePrompt, render, type PromptVariables } from './render.ts';

const directory = join(import.meta.dirname, '../../../prompts');
const files = readdirSync(directory).filter((name) => /\.ya?ml$/.test(name));
const manifests = files.map((name) => {
  const source = `prompts/${name}`;
  return { source, spec: parsePromptManifest(readFileSync(join(directory, name), 'utf8'), source) };
});

describe('prompts/', () => {
  it('holds at least the support, summary and extraction prompts, and a Spanish one', () => {
    const ids = manifests.map((m) => m.spec.id);
    expect(ids).toEqual(
      expect.arrayContaining(['support-triage', 'support-triage-es', 'summarize', 'extract-json']),
    );
  });

  it('holds one manifest per id and version', () => {
    expect(buildPromptCatalog(manifests).size).toBe(new Set(manifests.map((m) => m.spec.id)).size);
  });

  it.each(manifests)('$source declares variables and default parameters', ({ spec }) => {
    expect(spec.variables).toBeDefined();
    expect(spec.parameters).toBeDefined();
  });

  it.each(manifests)('$source renders each of its examples completely', ({ spec }) => {
    const variables: Record<string, unknown> | undefined = spec.variables;
    const examples = (variables?.['examples'] ?? []) as PromptVariables[];
    expect(examples.length).toBeGreaterThan(0);
    const compiled = compilePrompt(spec);
    for (const example of examples) {
      const messages = render(compiled, example);
      expect(messages).toHaveLength(spec.slices.length);
      for (const message of messages) expect(message.content).not.toMatch(/\{\{\s*[\w.]+\s*\}\}/);
    }
  });
});
