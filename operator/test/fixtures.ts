/** Resources for the controllers' table tests: the samples, with metadata a cluster would add. */
import type { InferenceModel } from '../../crds/inference-model.ts';
import { kinds } from '../../crds/index.ts';
import type { MCPGateway } from '../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../crds/prompt-manifest.ts';
import type { ProviderRoute } from '../../crds/provider-route.ts';
import { readSample } from '../../crds/sample-files.ts';
import type { TenantBudget } from '../../crds/tenant-budget.ts';
import type { NamespaceRefs } from '../src/controllers/types.ts';

export const NOW = new Date('2026-03-18T10:20:30.456Z');

function sample(
  kind: string,
  name?: string,
  spec?: object,
  created = '2026-01-01T00:00:00Z',
): unknown {
  const descriptor = kinds.find((k) => k.kind === kind);
  if (descriptor === undefined) throw new Error(kind);
  const s = readSample(descriptor) as { kind: string; metadata: { name: string }; spec: object };
  return {
    apiVersion: 'inference.enis.io/v1alpha1',
    kind: s.kind,
    metadata: {
      name: name ?? s.metadata.name,
      namespace: 'team',
      uid: `uid-${name ?? s.metadata.name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: created,
    },
    spec: { ...structuredClone(s.spec), ...spec },
  };
}

export const model = (name?: string, spec?: object): InferenceModel =>
  sample('InferenceModel', name, spec) as InferenceModel;
export const route = (name?: string, spec?: object, created?: string): ProviderRoute =>
  sample('ProviderRoute', name, spec, created) as ProviderRoute;
export const prompt = (name?: string, spec?: object, created?: string): PromptManifest =>
  sample('PromptManifest', name, spec, created) as PromptManifest;
export const budget = (name?: string, spec?: object, created?: string): TenantBudget =>
  sample('TenantBudget', name, spec, created) as TenantBudget;
export const mcp = (name?: string, spec?: object, created?: string): MCPGateway =>
  sample('MCPGateway', name, spec, created) as MCPGateway;

export function refs(partial: Partial<NamespaceRefs> = {}): NamespaceRefs {
  return {
    secrets: new Map([
      ['openai-credentials', { 'api-key': Buffer.from('sk-1').toString('base64') }],
      ['tickets-mcp-token', { token: Buffer.from('t').toString('base64') }],
    ]),
    configMaps: new Map(),
    models: new Set(['phi-3-mini']),
    gatewayEnv: {},
    ...partial,
  };
}
