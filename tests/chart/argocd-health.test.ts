// The Argo CD health check of the five kinds (deploy/gitops/argocd/health.lua, in argocd-cm as
// resource.customizations.health.<group>_<kind>), run by a real Lua runtime (wasmoon: Lua 5.4
// compiled to WebAssembly; the script uses only what Lua 5.1, Argo CD's, has) against the samples
// with the statuses the operator writes.
import { readFileSync } from 'node:fs';
import { LuaFactory, type LuaEngine } from 'wasmoon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const KINDS = {
  InferenceModel: 'inference-model',
  PromptManifest: 'prompt-manifest',
  ProviderRoute: 'provider-route',
  TenantBudget: 'tenant-budget',
  MCPGateway: 'mcp-gateway',
} as const;
type Kind = keyof typeof KINDS;

const configMap = parse(
  readFileSync(
    new URL('../../deploy/gitops/argocd/argocd-cm-health.yaml', import.meta.url),
    'utf8',
  ),
) as { data: Record<string, string> };
const script = (kind: Kind): string => {
  const lua = configMap.data[`resource.customizations.health.inference.enis.io_${kind}`];
  if (lua === undefined) throw new Error(`argocd-cm has no health check of ${kind}`);
  return lua;
};

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  observedGeneration?: number;
}

/** The kind's sample at generation 2 with these conditions (observed at 2 unless given). */
function sample(kind: Kind, conditions?: Condition[]): Record<string, unknown> {
  const object = parse(
    readFileSync(new URL(`../../crds/samples/${KINDS[kind]}.yaml`, import.meta.url), 'utf8'),
  ) as { metadata: Record<string, unknown> };
  return {
    ...object,
    metadata: { ...object.metadata, generation: 2 },
    ...(conditions === undefined
      ? {}
      : {
          status: {
            observedGeneration: 2,
            conditions: conditions.map((c) => ({ observedGeneration: 2, message: 'm', ...c })),
          },
        }),
  };
}

let lua: LuaEngine;

async function health(
  kind: Kind,
  object: Record<string, unknown>,
): Promise<{ status: string; message: string }> {
  lua.global.set('obj', object);
  return (await lua.doString(script(kind))) as { status: string; message: string };
}

const ready = (status: Condition['status'], reason: string, extra: object = {}): Condition => ({
  type: 'Ready',
  status,
  reason,
  ...extra,
});

describe('the Argo CD health check', () => {
  beforeAll(async () => {
    lua = await new LuaFactory().createEngine();
  });
  afterAll(() => {
    lua.global.close();
  });

  it('is in argocd-cm once for each of the five kinds, the same script', () => {
    const keys = Object.keys(configMap.data).sort();
    expect(keys).toEqual(
      Object.keys(KINDS)
        .map((k) => `resource.customizations.health.inference.enis.io_${k}`)
        .sort(),
    );
    expect(new Set(Object.values(configMap.data)).size).toBe(1);
  });

  it.each(Object.keys(KINDS) as Kind[])(
    'calls a %s Progressing before the operator wrote a status, or while it has not observed the generation',
    async (kind) => {
      expect((await health(kind, sample(kind))).status).toBe('Progressing');
      const stale = sample(kind, [ready('True', 'Serving', { observedGeneration: 1 })]);
      expect(await health(kind, stale)).toEqual({
        status: 'Progressing',
        message: 'Waiting for the operator to observe generation 2.',
      });
    },
  );

  it('calls each kind Healthy on Ready=True at its generation, with the reason', async () => {
    const healthy: Record<Kind, string> = {
      InferenceModel: 'Available',
      PromptManifest: 'Serving',
      ProviderRoute: 'Serving',
      TenantBudget: 'Applied',
      MCPGateway: 'Validated',
    };
    for (const [kind, reason] of Object.entries(healthy) as [Kind, string][]) {
      const conditions = [ready('True', reason)];
      if (kind === 'InferenceModel') {
        conditions.push(
          { type: 'Progressing', status: 'False', reason: 'RolloutComplete' },
          { type: 'Degraded', status: 'False', reason: 'AsExpected' },
        );
      }
      expect(await health(kind, sample(kind, conditions))).toEqual({
        status: 'Healthy',
        message: `${reason}: m`,
      });
    }
  });

  it('calls a resource Progressing while its contract is rendered or its replicas start', async () => {
    expect(
      (await health('ProviderRoute', sample('ProviderRoute', [ready('Unknown', 'RenderPending')])))
        .status,
    ).toBe('Progressing');
    expect(
      (await health('TenantBudget', sample('TenantBudget', [ready('False', 'RenderPending')])))
        .status,
    ).toBe('Progressing');
    const rolling = sample('InferenceModel', [
      ready('True', 'Available'),
      { type: 'Progressing', status: 'True', reason: 'RollingOut', message: 'v2 on green' },
      { type: 'Degraded', status: 'False', reason: 'AsExpected' },
    ]);
    expect(await health('InferenceModel', rolling)).toEqual({
      status: 'Progressing',
      message: 'RollingOut: v2 on green',
    });
    const starting = sample('InferenceModel', [
      ready('False', 'ReplicasNotReady'),
      { type: 'Progressing', status: 'True', reason: 'Creating' },
    ]);
    expect((await health('InferenceModel', starting)).status).toBe('Progressing');
  });

  it('calls a resource Degraded on a refusal the operator reports, with its reason and message', async () => {
    const refusals: [Kind, string][] = [
      ['PromptManifest', 'ChecksumMismatch'],
      ['ProviderRoute', 'SecretNotFound'],
      ['TenantBudget', 'TenantConflict'],
      ['MCPGateway', 'FallbackRouteNotFound'],
      ['InferenceModel', 'InsufficientHeadroom'],
    ];
    for (const [kind, reason] of refusals) {
      expect(
        await health(kind, sample(kind, [ready('False', reason, { message: 'why' })])),
      ).toEqual({
        status: 'Degraded',
        message: `${reason}: why`,
      });
    }
    const stalled = sample('InferenceModel', [
      ready('True', 'Available'),
      {
        type: 'Degraded',
        status: 'True',
        reason: 'ProgressDeadlineExceeded',
        message: 'v2 did not come up',
      },
    ]);
    expect(await health('InferenceModel', stalled)).toEqual({
      status: 'Degraded',
      message: 'ProgressDeadlineExceeded: v2 did not come up',
    });
  });

  it('calls a disabled MCPGateway Suspended, and one on a deployment with MCP off', async () => {
    const disabled = sample('MCPGateway', [ready('False', 'Disabled')]);
    expect((await health('MCPGateway', disabled)).status).toBe('Suspended');
    const off = sample('MCPGateway', [ready('False', 'McpDisabled')]);
    expect((await health('MCPGateway', off)).status).toBe('Suspended');
  });
});
