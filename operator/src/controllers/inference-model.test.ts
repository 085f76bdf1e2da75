import { describe, expect, it } from 'vitest';
import { model, NOW } from '../../test/fixtures.ts';
import type { InferenceModel } from '../../../crds/inference-model.ts';
import {
  availabilityPolicy,
  degradedPolicy,
  memoryHeadroomPolicy,
  progressingPolicy,
  reconcileInferenceModel,
  type ColorObserved,
  type DeploymentState,
  type InferenceModelObserved,
} from './inference-model.ts';

const GiB = 2 ** 30;
const settings = { image: 'dataplane:1', imagePullPolicy: 'IfNotPresent' as const };
const rolledOut = (replicas: number, generation = 1): DeploymentState => ({
  metadata: { generation },
  status: {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
  },
});

describe('memoryHeadroomPolicy', () => {
  it.each([
    [{ needed: 3 * GiB, limit: 4 * GiB }, 'True', 'SufficientHeadroom'],
    [{ needed: 3 * GiB, limit: 3 * GiB }, 'True', 'SufficientHeadroom'],
    [{ needed: 5 * GiB, limit: 4 * GiB }, 'False', 'InsufficientHeadroom'],
    [{ needed: 5 * GiB, limit: undefined }, 'Unknown', 'NoMemoryLimit'],
  ] as const)('%o → %s %s', (memory, status, reason) => {
    expect(memoryHeadroomPolicy(memory)).toMatchObject({ status, reason });
  });

  it('says how much is needed and what to change', () => {
    expect(memoryHeadroomPolicy({ needed: 5 * GiB, limit: 4 * GiB }).message).toBe(
      'The memory limit 4 GiB is below the 5 GiB each replica needs (modelBytes × headroomFactor); raise resources.limits.memory or lower headroomFactor.',
    );
  });
});

describe('progressingPolicy', () => {
  it.each([
    ['no Deployment yet', undefined, 'True', 'Creating'],
    [
      'a spec the controller has not seen',
      { metadata: { generation: 2 }, status: { observedGeneration: 1 } },
      'True',
      'RollingOut',
    ],
    [
      'replicas still updating',
      {
        metadata: { generation: 1 },
        status: { observedGeneration: 1, replicas: 3, updatedReplicas: 1, readyReplicas: 2 },
      },
      'True',
      'RollingOut',
    ],
    [
      'old replicas still terminating',
      {
        metadata: { generation: 1 },
        status: { observedGeneration: 1, replicas: 3, updatedReplicas: 2, readyReplicas: 2 },
      },
      'True',
      'RollingOut',
    ],
    ['every replica current and ready', rolledOut(2), 'False', 'RolloutComplete'],
  ] as const)('%s → %s %s', (_title, deployment, status, reason) => {
    expect(progressingPolicy(2, deployment)).toMatchObject({ status, reason });
  });
});

describe('degradedPolicy', () => {
  it('is True when the rollout passed its deadline or pods cannot be created', () => {
    const stalled: DeploymentState = {
      metadata: {},
      status: {
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'too slow',
          },
        ],
      },
    };
    const failing: DeploymentState = {
      metadata: {},
      status: {
        conditions: [
          { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' },
        ],
      },
    };
    expect(degradedPolicy(stalled)).toMatchObject({
      status: 'True',
      reason: 'ProgressDeadlineExceeded',
      message: 'too slow',
    });
    expect(degradedPolicy(failing)).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(degradedPolicy(rolledOut(1))).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });
});

describe('availabilityPolicy', () => {
  it('is True when scaled to zero or every replica is ready', () => {
    expect(availabilityPolicy(0, undefined).reason).toBe('ScaledToZero');
    expect(availabilityPolicy(2, rolledOut(2)).reason).toBe('Available');
    expect(availabilityPolicy(2, rolledOut(1))).toMatchObject({
      status: 'False',
      reason: 'ReplicasNotReady',
    });
  });
});

/** A colour whose Deployment (pods of podVersion) is rolled out and whose ConfigMap says version. */
const colour = (
  replicas: number,
  podVersion: string,
  version = podVersion,
  ready = replicas,
): ColorObserved => ({
  deployment: {
    ...rolledOut(ready),
    spec: {
      replicas,
      template: { metadata: { labels: { 'inference.enis.io/model-version': podVersion } } },
    },
  },
  specText: JSON.stringify({ version, uri: `file:///models/${version}.onnx` }),
  servedText: undefined,
});
const observe = (
  m: InferenceModel | undefined,
  colors: InferenceModelObserved['colors'] = {},
  probes: InferenceModelObserved['probes'] = {},
): InferenceModelObserved => ({ model: m, colors, probes, settings, now: NOW });
const names = (result: ReturnType<typeof reconcileInferenceModel>) =>
  result.desired.map((o) => `${o.kind ?? ''}/${o.metadata.name}`);

describe('reconcileInferenceModel', () => {
  it('renders a model server and, once it is rolled out, reports Ready with the active version', () => {
    const m = model();
    const result = reconcileInferenceModel(
      observe(m, { blue: colour(2, 'phi-3-mini-4k-2024-07') }),
    );
    expect(names(result)).toEqual([
      'Service/model-phi-3-mini',
      'ConfigMap/model-phi-3-mini-blue',
      'Deployment/model-phi-3-mini-blue',
      'Service/model-phi-3-mini-blue',
    ]);
    expect(result.status).toMatchObject({
      activeVersion: 'phi-3-mini-4k-2024-07',
      activeColor: 'blue',
      replicas: 2,
      readyReplicas: 2,
      endpoint: 'http://model-phi-3-mini.team.svc:8080/v1',
    });
    expect(result.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Available'],
      ['Progressing', 'False', 'RolloutComplete'],
      ['Degraded', 'False', 'AsExpected'],
      ['MemoryHeadroomOK', 'True', 'SufficientHeadroom'],
    ]);
  });

  it('is not Ready before its first version is', () => {
    const result = reconcileInferenceModel(observe(model()));
    expect(result.status).not.toHaveProperty('activeVersion');
    expect(result.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'ReplicasNotReady',
    });
  });

  it('keeps the previous version for rollback when a new one becomes active, and says so in an Event', () => {
    const m = {
      ...model('m', { version: 'v2', rollout: { strategy: 'BlueGreen' } }),
      status: { activeVersion: 'v1', activeColor: 'blue' as const },
    };
    const result = reconcileInferenceModel(
      observe(
        m,
        { blue: colour(2, 'v1'), green: colour(2, 'v2') },
        { green: { endpoints: 2, serving: { v2: 2 }, smoke: { ok: true, message: 'ok' } } },
      ),
    );
    expect(result.status).toMatchObject({
      activeVersion: 'v2',
      previousVersion: 'v1',
      activeColor: 'green',
    });
    expect(result.events).toEqual([
      expect.objectContaining({ reason: 'SwitchedColor', note: expect.stringContaining('v2') }),
    ]);
  });

  it('stays Ready on the active version while the new one starts', () => {
    const m = {
      ...model('m', { version: 'v2', rollout: { strategy: 'BlueGreen' } }),
      status: { activeVersion: 'v1', activeColor: 'blue' as const },
    };
    const result = reconcileInferenceModel(
      observe(m, { blue: colour(2, 'v1'), green: colour(2, 'v2', 'v2', 1) }),
    );
    expect(result.status).toMatchObject({ activeVersion: 'v1', activeColor: 'blue' });
    expect(result.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Available'],
      ['Progressing', 'True', 'Deploying'],
      ['Degraded', 'False', 'AsExpected'],
      ['MemoryHeadroomOK', 'True', 'SufficientHeadroom'],
    ]);
    expect(result.requeueAfterMs).toBe(5000);
  });

  it('turns MemoryHeadroomOK False while an active pod reports memory_headroom_low, and stays Ready', () => {
    const m = {
      ...model(),
      status: { activeVersion: 'phi-3-mini-4k-2024-07', activeColor: 'blue' as const },
    };
    const result = reconcileInferenceModel(
      observe(
        m,
        { blue: colour(2, 'phi-3-mini-4k-2024-07') },
        {
          blue: { endpoints: 2, serving: {}, headroomLow: { pods: 1, lowestRatio: 0.74 } },
        },
      ),
    );
    const conditions = Object.fromEntries(
      (result.status?.conditions ?? []).map((c) => [c.type, c]),
    );
    expect(conditions['MemoryHeadroomOK']).toMatchObject({
      status: 'False',
      reason: 'MemoryHeadroomLow',
    });
    expect(conditions['MemoryHeadroomOK']?.message).toContain(
      '1 pod(s) of blue report free memory of 0.74 × the model they serve, below headroomFactor 1.5',
    );
    expect(conditions['Ready']).toMatchObject({ status: 'True' });
    // The pods are asked again.
    expect(result.requeueAfterMs).toBe(30_000);
  });

  it('is not Ready when the memory limit cannot hold the model, nor when the rollout is stuck', () => {
    const small = model('m', { resources: { limits: { memory: '1Gi' } } });
    expect(
      reconcileInferenceModel(observe(small, { blue: colour(2, small.spec.version) })).status
        ?.conditions?.[0],
    ).toMatchObject({ status: 'False', reason: 'InsufficientHeadroom' });
    const stuck = colour(2, 'phi-3-mini-4k-2024-07');
    stuck.deployment = {
      ...stuck.deployment,
      metadata: { generation: 1 },
      status: {
        ...rolledOut(2).status,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    };
    expect(
      reconcileInferenceModel(observe(model(), { blue: stuck })).status?.conditions?.[0],
    ).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });

  it('reports its memory headroom: the limit over what it needs, 0 without a limit', () => {
    const headroom = (m: ReturnType<typeof model>) => reconcileInferenceModel(observe(m)).gauges;
    const limited = model('m', { resources: { limits: { memory: '1Gi' } } });
    const [sample] = headroom(limited) ?? [];
    expect(sample).toMatchObject({
      gauge: 'memoryHeadroomRatio',
      labels: { model: 'm' },
    });
    expect(sample?.value).toBeLessThan(1);
    expect(headroom(model('m', { resources: {} }))?.[0]?.value).toBe(0);
  });

  it('requests the memory the model needs when the resource sets no request', () => {
    const m = model('m', {
      resources: { limits: { memory: '8Gi' } },
      modelBytes: 4 * GiB,
      headroomFactor: 1.5,
    });
    const deployment = reconcileInferenceModel(observe(m)).desired.find(
      (o) => o.kind === 'Deployment',
    ) as unknown as {
      spec: { template: { spec: { containers: { resources: unknown }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]?.resources).toEqual({
      requests: { memory: '6Gi' },
      limits: { memory: '8Gi' },
    });
  });

  it("gives onnx pods the version in their colour's ConfigMap, mounted where MODEL_SPEC_FILE points", () => {
    const result = reconcileInferenceModel(observe(model()));
    const configMap = result.desired.find((o) => o.kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    expect(JSON.parse(configMap.data['spec.json'] ?? '')).toMatchObject({
      version: 'phi-3-mini-4k-2024-07',
      uri: model().spec.source.uri,
      checksum: model().spec.source.checksum,
    });
    const deployment = result.desired.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            containers: { env: { name: string; value: string }[]; volumeMounts: unknown[] }[];
          };
        };
      };
    };
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.env).toContainEqual({
      name: 'MODEL_SPEC_FILE',
      value: '/etc/inference/model/spec.json',
    });
    expect(container?.volumeMounts).toEqual([
      { name: 'model-spec', mountPath: '/etc/inference/model', readOnly: true },
    ]);
  });

  it('runs a container model from its image on port 8000, without the dataplane command', () => {
    const m = model('vllm', { runtime: 'container', image: 'vllm/vllm-openai:v0.6' });
    const desired = reconcileInferenceModel(observe(m)).desired as unknown as {
      kind: string;
      spec: { template: { spec: { containers: Record<string, unknown>[] } }; ports: unknown[] };
    }[];
    expect(desired.map((o) => o.kind)).toEqual(['Service', 'Deployment', 'Service']);
    const container = desired[1]?.spec.template.spec.containers[0];
    expect(container).toMatchObject({
      image: 'vllm/vllm-openai:v0.6',
      ports: [{ containerPort: 8000, name: 'http' }],
    });
    expect(container).not.toHaveProperty('command');
    expect(desired[0]?.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8000 }]);
  });

  it('desires nothing for a model that is gone or going', () => {
    expect(reconcileInferenceModel(observe(undefined))).toEqual({ desired: [] });
    const going = model();
    going.metadata.deletionTimestamp = NOW.toISOString();
    expect(reconcileInferenceModel(observe(going))).toEqual({ desired: [] });
  });
});
