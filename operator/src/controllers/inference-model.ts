/**
 * InferenceModel: renders the model-server Deployment and Service (in-place rollout for now)
 * and reports Ready, Progressing, Degraded and MemoryHeadroomOK from the Deployment's status
 * and the memory the model needs (modelBytes × headroomFactor) against its memory limit.
 */
import type { InferenceModel, InferenceModelStatus } from '../../../crds/inference-model.ts';
import {
  modelEndpoint,
  renderModelServer,
  type ModelServerSettings,
} from '../render/model-server.ts';
import { describeBytes, modelMemory, type ModelMemory } from '../render/quantity.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import type { ReconcileResult } from './types.ts';

/** The part of a Deployment's status the conditions read. */
export interface DeploymentState {
  metadata: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

// --- policies ---------------------------------------------------------------------------------

/** The memory limit must hold modelBytes × headroomFactor. */
export function memoryHeadroomPolicy(memory: ModelMemory): Verdict {
  const needed = describeBytes(memory.needed);
  if (memory.limit === undefined) {
    return verdict(
      'Unknown',
      'NoMemoryLimit',
      `No memory limit is set; each replica needs ${needed} (modelBytes × headroomFactor). Set resources.limits.memory to at least that.`,
    );
  }
  if (memory.limit >= memory.needed) {
    return verdict(
      'True',
      'SufficientHeadroom',
      `The memory limit ${describeBytes(memory.limit)} holds the ${needed} each replica needs.`,
    );
  }
  return verdict(
    'False',
    'InsufficientHeadroom',
    `The memory limit ${describeBytes(memory.limit)} is below the ${needed} each replica needs (modelBytes × headroomFactor); raise resources.limits.memory or lower headroomFactor.`,
  );
}

/** Whether the rollout of the current spec is still going on. */
export function progressingPolicy(
  desiredReplicas: number,
  deployment: DeploymentState | undefined,
): Verdict {
  if (deployment === undefined)
    return verdict('True', 'Creating', 'The model-server Deployment is being created.');
  const s = deployment.status ?? {};
  if ((s.observedGeneration ?? 0) < (deployment.metadata.generation ?? 0)) {
    return verdict(
      'True',
      'RollingOut',
      'The Deployment controller has not seen the latest spec yet.',
    );
  }
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const total = s.replicas ?? 0;
  if (updated < desiredReplicas || ready < desiredReplicas || total > desiredReplicas) {
    return verdict(
      'True',
      'RollingOut',
      `${updated} of ${desiredReplicas} replicas updated, ${ready} ready.`,
    );
  }
  return verdict(
    'False',
    'RolloutComplete',
    `All ${desiredReplicas} replicas run the current version.`,
  );
}

/** The Deployment gave up (progress deadline) or cannot create pods. */
export function degradedPolicy(deployment: DeploymentState | undefined): Verdict {
  const conditions = deployment?.status?.conditions ?? [];
  const stalled = conditions.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (stalled !== undefined) {
    return verdict(
      'True',
      stalled.reason ?? 'ProgressDeadlineExceeded',
      stalled.message ?? 'The rollout stalled.',
    );
  }
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure !== undefined) {
    return verdict(
      'True',
      failure.reason ?? 'ReplicaFailure',
      failure.message ?? 'Pods cannot be created.',
    );
  }
  return verdict('False', 'AsExpected', 'The model server is not degraded.');
}

/** Ready replicas serve the current version. */
export function availabilityPolicy(
  desiredReplicas: number,
  deployment: DeploymentState | undefined,
): Verdict {
  if (desiredReplicas === 0)
    return verdict('True', 'ScaledToZero', 'The model is scaled to zero replicas.');
  const ready = deployment?.status?.readyReplicas ?? 0;
  if (
    ready >= desiredReplicas &&
    progressingPolicy(desiredReplicas, deployment).status === 'False'
  ) {
    return verdict('True', 'Available', `${ready} of ${desiredReplicas} replicas are ready.`);
  }
  return verdict('False', 'ReplicasNotReady', `${ready} of ${desiredReplicas} replicas are ready.`);
}

// --- reconcile --------------------------------------------------------------------------------

export interface InferenceModelObserved {
  model: InferenceModel | undefined;
  /** The model-server Deployment as the cache holds it. */
  deployment: DeploymentState | undefined;
  settings: ModelServerSettings;
  now: Date;
}

export function reconcileInferenceModel(
  o: InferenceModelObserved,
): ReconcileResult<InferenceModelStatus> {
  const model = o.model;
  if (model === undefined || model.metadata.deletionTimestamp !== undefined) return { desired: [] };
  const memory = modelMemory(model.spec);
  const desired = renderModelServer(model, o.settings, memory);
  const replicas = model.spec.replicas ?? 1;
  const headroom = memoryHeadroomPolicy(memory);
  const progressing = progressingPolicy(replicas, o.deployment);
  const degraded = degradedPolicy(o.deployment);
  // Not ready while the memory limit cannot hold the model or the rollout is stuck; else ready
  // once the replicas are.
  const ready = firstProblem(
    [
      headroom.status === 'False' ? headroom : verdict('True', headroom.reason, headroom.message),
      degraded.status === 'True'
        ? verdict('False', degraded.reason, degraded.message)
        : verdict('True', degraded.reason, degraded.message),
      availabilityPolicy(replicas, o.deployment),
    ],
    verdict(
      'True',
      'Available',
      `${replicas} of ${replicas} replicas serve version ${model.spec.version}.`,
    ),
  );
  const previous = model.status;
  const generation = model.metadata.generation;
  const activeVersion =
    ready.status === 'True' ? model.spec.version : (previous?.activeVersion ?? undefined);
  const previousVersion =
    activeVersion !== undefined &&
    previous?.activeVersion !== undefined &&
    previous.activeVersion !== activeVersion
      ? previous.activeVersion
      : previous?.previousVersion;
  const s = o.deployment?.status;
  const status: InferenceModelStatus = {
    conditions: setConditions(
      previous?.conditions,
      { Ready: ready, Progressing: progressing, Degraded: degraded, MemoryHeadroomOK: headroom },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(activeVersion === undefined ? {} : { activeVersion }),
    ...(previousVersion === undefined ? {} : { previousVersion }),
    endpoint: modelEndpoint(model.metadata.namespace ?? '', model.metadata.name),
    replicas: s?.replicas ?? 0,
    readyReplicas: s?.readyReplicas ?? 0,
  };
  return {
    desired,
    status,
    gauges: [
      {
        gauge: 'memoryHeadroomRatio',
        labels: { namespace: model.metadata.namespace ?? '', model: model.metadata.name },
        value: memory.limit === undefined ? 0 : memory.limit / memory.needed,
      },
    ],
  };
}
