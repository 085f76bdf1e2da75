// The chart's dashboards, offline. No Grafana can run here, so each JSON file is typechecked
// against the Grafana Foundation SDK's generated model of a dashboard (its `dashboard`,
// `timeseries` and `prometheus` packages, generated from Grafana's own schemas): a field of the
// wrong type, an unknown field, a missing required one or a value outside an enum is a
// compile error. Their queries are proven against a real Prometheus in prometheus.test.ts.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, dashboardJson } from '../../scripts/dashboards.ts';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'charts/inference-service/dashboards');

/**
 * The SDK's model as JSON: string enums as their values, no methods (the SDK marks each query
 * variant with one), every panel a timeseries panel with its own options and field config
 * (the dashboard package leaves those `any`) and Prometheus queries.
 */
const MODEL = `
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
type Json<T> = T extends string ? \`\${T}\`
  : T extends number | boolean | null | undefined ? T
  : T extends readonly (infer U)[] ? Json<U>[]
  : T extends object ? { [K in keyof T as T[K] extends Function ? never : K]: Json<T[K]> }
  : T;
type TimeseriesPanel = Omit<dashboard.Panel, 'type' | 'targets' | 'options' | 'fieldConfig'> & {
  type: 'timeseries';
  targets?: prometheus.Dataquery[];
  options?: timeseries.Options;
  fieldConfig?: Omit<dashboard.FieldConfigSource, 'defaults'> & {
    defaults: Omit<dashboard.FieldConfig, 'custom'> & { custom?: timeseries.FieldConfig };
  };
};
export type Checked = Json<Omit<dashboard.Dashboard, 'panels'> & { panels: TimeseriesPanel[] }>;
`;

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: [],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

/** Typechecks each JSON text against the model in one program: file name → error messages. */
function typecheck(documents: Record<string, string>): Record<string, string[]> {
  const sources = new Map<string, string>();
  for (const [name, json] of Object.entries(documents))
    sources.set(
      join(import.meta.dirname, `dashboard-check-${name}.ts`),
      `${MODEL}\nexport const checked = ${json.trim()} satisfies Checked;\n`,
    );
  const base = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (f) => sources.has(f) || base.fileExists(f),
    readFile: (f) => sources.get(f) ?? base.readFile(f),
    getSourceFile: (f, language, ...rest) => {
      const text = sources.get(f);
      return text === undefined
        ? base.getSourceFile(f, language, ...rest)
        : ts.createSourceFile(f, text, language);
    },
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(documents)) {
    const file = program.getSourceFile(join(import.meta.dirname, `dashboard-check-${name}.ts`));
    if (!file) throw new Error(`${name}: not in the program`);
    out[name] = [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ].map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  }
  return out;
}

/** A dashboard as scripts/dashboards.ts writes it (the SDK's objects carry a method). */
function asJson(name: string): unknown {
  const d = DASHBOARDS[name];
  if (!d) throw new Error(`no dashboard ${name}`);
  return JSON.parse(JSON.stringify(dashboardJson(name, d.title, d.panels)));
}

type Mutable = { panels: Record<string, unknown>[] } & Record<string, unknown>;
/** The first dashboard's JSON with one change made by `edit`. */
function broken(edit: (d: Mutable) => void): string {
  const [name = ''] = Object.keys(DASHBOARDS);
  const json = asJson(name) as Mutable;
  edit(json);
  return JSON.stringify(json);
}

describe('the dashboards', () => {
  it('are the files scripts/dashboards.ts writes', async () => {
    expect((await readdir(dir)).sort()).toEqual(
      Object.keys(DASHBOARDS)
        .map((name) => `${name}.json`)
        .sort(),
    );
    for (const name of Object.keys(DASHBOARDS)) {
      const file = await readFile(join(dir, `${name}.json`), 'utf8');
      expect(JSON.parse(file)).toEqual(asJson(name));
    }
  });

  it('give every panel a unique id, a Prometheus query and a place on the grid', () => {
    for (const [name, d] of Object.entries(DASHBOARDS)) {
      const json = dashboardJson(name, d.title, d.panels);
      const panels = (json.panels ?? []) as { id?: number; gridPos?: object; targets?: object[] }[];
      expect(panels).toHaveLength(d.panels.length);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.gridPos).toMatchObject({ w: 12, h: 8 });
        expect(panel.targets?.[0]).toMatchObject({ expr: expect.stringMatching(/\w/) });
      }
    }
  });

  it('typecheck against the Grafana Foundation SDK model, and a broken one does not', async () => {
    const files: Record<string, string> = {};
    for (const name of Object.keys(DASHBOARDS))
      files[name] = await readFile(join(dir, `${name}.json`), 'utf8');
    const errors = typecheck({
      ...files,
      'string-width': broken((d) => {
        d.panels[0] = { ...d.panels[0], gridPos: { x: 0, y: 0, w: '12', h: 8 } };
      }),
      'unknown-field': broken((d) => {
        d.panels[0] = { ...d.panels[0], queries: [] };
      }),
      'no-schema-version': broken((d) => {
        delete d.schemaVersion;
      }),
      'legend-mode': broken((d) => {
        const options = d.panels[0]?.options as { legend: { displayMode: string } };
        options.legend.displayMode = 'wide';
      }),
    });
    for (const name of Object.keys(DASHBOARDS)) expect(errors[name], name).toEqual([]);
    expect(errors['string-width']?.join('\n')).toMatch(/'string' is not assignable to .*'number'/);
    expect(errors['unknown-field']?.join('\n')).toMatch(/'"queries"' does not exist in type/);
    expect(errors['no-schema-version']?.join('\n')).toMatch(/'schemaVersion' is missing/);
    expect(errors['legend-mode']?.join('\n')).toMatch(/'"wide"' is not assignable/);
  }, 60_000);
});
