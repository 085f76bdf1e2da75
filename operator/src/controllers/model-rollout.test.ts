import { describe, expect, it } from 'vitest';
import type { InferenceModel } from '../../../crds/inference-model.ts';
import { model, NOW } from '../../test/fixtures.ts';
import {
  chooseStrategy,
  planRollout,
  type ColorDeployment,
  type ColorProbe,
  type RolloutObserved,
} from './model-rollout.ts';

const GiB = 2 ** 30;
const WINDOW_MS = 600_000;

/** A colour rolled out with `replicas` pods started on podVersion, its ConfigMap at version. */
const up = (podVersion: string, version = podVersion, replicas = 2): ColorDeployment => ({
  version,
  podVersion,
  podModelBytes: GiB,
  specText: JSON.stringify({ version, uri: `file:///models/${version}.onnx` }),
  servedText: undefined,
  replicas,
  rolledOut: true,
  readyReplicas: replicas,
});
const starting = (podVersion: string, ready = 0): ColorDeployment => ({
  ...up(podVersion),
  rolledOut: false,
  readyReplicas: ready,
});
const serving = (version: string, count = 2, smokeOk = true): ColorProbe => ({
  endpoints: count,
  serving: { [version]: count },
  smoke: { ok: smokeOk, message: smokeOk ? 'answered 200' : 'answered 503 NOT_READY' },
});

function observed(
  spec: Partial<InferenceModel['spec']>,
  status: InferenceModel['status'],
  rest: Partial<RolloutObserved> = {},
): RolloutObserved {
  const m: InferenceModel = {
    ...model('m', { modelBytes: 1 * GiB, ...spec }),
    ...(status === undefined ? {} : { status }),
  };
  return {
    model: m,
    memory: { needed: 1.3 * GiB, limit: undefined },
    deployments: {},
    probes: {},
    switchedAt: undefined,
    now: NOW,
    rollbackWindowMs: WINDOW_MS,
    ...rest,
  };
}

describe('chooseStrategy', () => {
  const memory = (limitGiB?: number) => ({
    needed: 1.3 * GiB,
    limit: limitGiB === undefined ? undefined : limitGiB * GiB,
  });
  it.each([
    ['a small model with room for two', { modelBytes: GiB }, memory(4), false, 'InPlace'],
    ['a small model with no limit', { modelBytes: GiB }, memory(), false, 'InPlace'],
    ['a model of 8 GiB or more', { modelBytes: 8 * GiB }, memory(), false, 'BlueGreen'],
    ['a limit below two versions', { modelBytes: GiB }, memory(2), false, 'BlueGreen'],
    ['a pod that refused the dual-load', { modelBytes: GiB }, memory(4), true, 'BlueGreen'],
    [
      'an explicit InPlace, even for a big model',
      { modelBytes: 9 * GiB, rollout: { strategy: 'InPlace' as const } },
      memory(),
      false,
      'InPlace',
    ],
    [
      'an explicit BlueGreen',
      { modelBytes: GiB, rollout: { strategy: 'BlueGreen' as const } },
      memory(4),
      false,
      'BlueGreen',
    ],
    [
      'an image, whose server cannot swap',
      { modelBytes: GiB, runtime: 'container' as const, image: 'vllm' },
      memory(4),
      false,
      'BlueGreen',
    ],
  ])('Auto and the rest: %s → %s', (_, spec, mem, refused, strategy) => {
    expect(chooseStrategy(model('m', spec), mem, refused).strategy).toBe(strategy);
  });
});

describe('the first version', () => {
  it('starts on blue and becomes active once its pods are ready', () => {
    const before = planRollout(observed({ version: 'v1' }, undefined));
    expect(before).toMatchObject({
      activeColor: 'blue',
      activeVersion: undefined,
      colors: { blue: { version: 'v1', podVersion: 'v1', replicas: 2 } },
      progressing: { status: 'True', reason: 'Deploying' },
    });
    const after = planRollout(
      observed({ version: 'v1' }, undefined, { deployments: { blue: up('v1') } }),
    );
    expect(after).toMatchObject({
      activeVersion: 'v1',
      progressing: { status: 'False', reason: 'RolloutComplete' },
    });
  });
});

describe('a blue/green rollout', () => {
  const spec = { version: 'v2', replicas: 2, rollout: { strategy: 'BlueGreen' as const } };
  const status = { activeVersion: 'v1', activeColor: 'blue' as const };

  it('starts the new version on the idle colour while the active one serves', () => {
    const plan = planRollout(observed(spec, status, { deployments: { blue: up('v1') } }));
    expect(plan).toMatchObject({
      strategy: 'BlueGreen',
      activeColor: 'blue',
      activeVersion: 'v1',
      colors: {
        blue: { version: 'v1', podVersion: 'v1', replicas: 2 },
        green: { version: 'v2', podVersion: 'v2', replicas: 2 },
      },
      progressing: { status: 'True', reason: 'Deploying' },
    });
    // The active colour's ConfigMap keeps the source of v1, which spec no longer has.
    expect(plan.colors.blue?.specText).toContain('v1.onnx');
    expect(JSON.parse(plan.colors.green?.specText ?? '')).toMatchObject({ version: 'v2' });
  });

  it('waits for every new pod, then for the smoke request, before it switches', () => {
    const deployments = { blue: up('v1'), green: starting('v2', 1) };
    expect(planRollout(observed(spec, status, { deployments })).progressing.message).toContain(
      '1 of 2 ready',
    );
    const ready = { blue: up('v1'), green: up('v2') };
    const unprobed = planRollout(observed(spec, status, { deployments: ready }));
    expect(unprobed).toMatchObject({
      activeColor: 'blue',
      progressing: { reason: 'SmokeTesting' },
    });
    expect(unprobed.problem).toBeUndefined();
  });

  it('does not switch when the smoke request fails, and says why', () => {
    const plan = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1'), green: up('v2') },
        probes: { green: serving('v2', 2, false) },
      }),
    );
    expect(plan).toMatchObject({
      activeColor: 'blue',
      activeVersion: 'v1',
      problem: { status: 'True', reason: 'SmokeFailed' },
    });
    expect(plan.problem?.message).toContain('503 NOT_READY');
  });

  it('switches the Service to the new colour once the smoke request passes', () => {
    const plan = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1'), green: up('v2') },
        probes: { green: serving('v2') },
      }),
    );
    expect(plan).toMatchObject({
      activeColor: 'green',
      activeVersion: 'v2',
      previousVersion: 'v1',
      switched: { from: 'v1', to: 'v2', color: 'green' },
      progressing: { status: 'False', reason: 'RolloutComplete' },
      // The old colour keeps its pods.
      colors: { blue: { version: 'v1', replicas: 2 }, green: { version: 'v2', replicas: 2 } },
    });
  });

  it('keeps the old colour for the rollback window, then scales it to zero', () => {
    const after = { activeVersion: 'v2', activeColor: 'green' as const, previousVersion: 'v1' };
    // Scaled down by hand: spec's replicas come back.
    const deployments = { blue: up('v1', 'v1', 1), green: up('v2') };
    const switchedAt = new Date(NOW.getTime() - 60_000);
    const within = planRollout(observed(spec, after, { deployments, switchedAt }));
    expect(within.colors.blue).toMatchObject({ version: 'v1', replicas: 2 });
    expect(within.requeueAfterMs).toBe(WINDOW_MS - 60_000);
    expect(within.progressing.message).toContain('stays on blue for a rollback until');
    const past = planRollout(
      observed(spec, after, {
        deployments,
        switchedAt: new Date(NOW.getTime() - WINDOW_MS - 1),
      }),
    );
    expect(past.colors.blue).toMatchObject({ version: 'v1', podVersion: 'v1', replicas: 0 });
    expect(past.requeueAfterMs).toBeUndefined();
  });

  it('rolls back when spec goes back to the previous version: at once while the old pods are up', () => {
    const after = { activeVersion: 'v2', activeColor: 'green' as const, previousVersion: 'v1' };
    const back = { ...spec, version: 'v1' };
    const plan = planRollout(
      observed(back, after, {
        deployments: { blue: up('v1'), green: up('v2') },
        probes: { blue: serving('v1') },
      }),
    );
    expect(plan).toMatchObject({
      activeColor: 'blue',
      activeVersion: 'v1',
      previousVersion: 'v2',
      switched: { from: 'v2', to: 'v1', color: 'blue' },
    });
  });

  it('rolls back to a colour scaled to zero by starting its pods again', () => {
    const after = { activeVersion: 'v2', activeColor: 'green' as const, previousVersion: 'v1' };
    const plan = planRollout(
      observed({ ...spec, version: 'v1' }, after, {
        deployments: { blue: { ...up('v1'), replicas: 0, readyReplicas: 0 }, green: up('v2') },
      }),
    );
    expect(plan).toMatchObject({
      activeColor: 'green',
      colors: { blue: { version: 'v1', podVersion: 'v1', replicas: 2 } },
      progressing: { reason: 'Deploying' },
    });
  });
});

describe('an in-place rollout', () => {
  const spec = { version: 'v2', replicas: 2 };
  const status = { activeVersion: 'v1', activeColor: 'blue' as const };

  it('writes the new version to the active colour without rolling its pods', () => {
    const plan = planRollout(observed(spec, status, { deployments: { blue: up('v1') } }));
    expect(plan).toMatchObject({
      strategy: 'InPlace',
      activeVersion: 'v1',
      colors: { blue: { version: 'v2', podVersion: 'v1', replicas: 2 } },
      progressing: { status: 'True', reason: 'SwappingInPlace' },
    });
    expect(plan.colors.green).toBeUndefined();
  });

  it('is active once every ready pod says it serves the new version', () => {
    const half = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: { blue: { endpoints: 2, serving: { v1: 1, v2: 1 } } },
      }),
    );
    expect(half.progressing.message).toContain('1 of 2 ready pods serve it');
    const all = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: { blue: serving('v2') },
      }),
    );
    expect(all).toMatchObject({
      activeVersion: 'v2',
      previousVersion: 'v1',
      activeColor: 'blue',
      switched: { from: 'v1', to: 'v2', color: 'blue' },
    });
  });

  it('falls back to blue/green under Auto when a pod refuses the dual-load', () => {
    const refused: ColorProbe = {
      endpoints: 2,
      serving: { v1: 2 },
      swapProblem: {
        version: 'v2',
        result: 'refused',
        reason: 'InsufficientHeadroom',
        message: '1 GiB free, 1.3 GiB needed',
      },
    };
    const plan = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: { blue: refused },
      }),
    );
    expect(plan).toMatchObject({
      strategy: 'BlueGreen',
      // The active pods go back to v1; new pods start v2 on green.
      colors: { blue: { version: 'v1' }, green: { version: 'v2', podVersion: 'v2' } },
    });
    expect(plan.progressing.message).toContain('a pod refused the in-pod swap');
  });

  it("stays on the active version and reports the pod's reason under an explicit InPlace", () => {
    const plan = planRollout(
      observed({ ...spec, rollout: { strategy: 'InPlace' } }, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: {
          blue: {
            endpoints: 2,
            serving: { v1: 2 },
            swapProblem: {
              version: 'v2',
              result: 'failed',
              reason: 'WarmUpFailed',
              message: 'the warm-up generation failed',
            },
          },
        },
      }),
    );
    expect(plan).toMatchObject({
      strategy: 'InPlace',
      activeVersion: 'v1',
      colors: { blue: { version: 'v1' } },
      progressing: { status: 'False', reason: 'SwapRefused' },
      problem: { status: 'True', reason: 'WarmUpFailed' },
    });
  });

  it('sends the pods back to the text of the version they served, which spec no longer has', () => {
    const served = JSON.stringify({ version: 'v1', uri: 'file:///models/v1.onnx' });
    const tried = { ...up('v1', 'v2'), servedText: served };
    const plan = planRollout(
      observed({ ...spec, rollout: { strategy: 'InPlace' } }, status, {
        deployments: { blue: tried },
        probes: {
          blue: {
            endpoints: 2,
            serving: { v1: 2 },
            swapProblem: { version: 'v2', result: 'failed', reason: 'LoadFailed', message: 'm' },
          },
        },
      }),
    );
    expect(plan.colors.blue).toMatchObject({ specText: served, servedText: served });
  });

  it('remembers the text of the version the active colour serves', () => {
    const plan = planRollout(
      observed(spec, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: { blue: serving('v2') },
      }),
    );
    expect(plan.activeVersion).toBe('v2');
    expect(JSON.parse(plan.colors.blue?.servedText ?? '')).toMatchObject({ version: 'v2' });
  });

  it("ignores a pod's problem with a version other than the one wanted", () => {
    const plan = planRollout(
      observed({ ...spec, version: 'v3' }, status, {
        deployments: { blue: up('v1', 'v2') },
        probes: {
          blue: {
            endpoints: 2,
            serving: { v1: 2 },
            swapProblem: { version: 'v2', result: 'refused', reason: 'R', message: 'm' },
          },
        },
      }),
    );
    expect(plan).toMatchObject({ strategy: 'InPlace', colors: { blue: { version: 'v3' } } });
  });
});
