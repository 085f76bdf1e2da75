/**
 * InferenceModel: renders the model servers of the rollout plan (controllers/model-rollout.ts:
 * in place or blue/green) and reports Ready, Progressing, Degraded and MemoryHeadroomOK from
 * the plan, the Deployments' status and the memory the model needs (modelBytes ×
 * headroomFactor) against its memory limit. With `spec.tls` the model servers serve mTLS from
 * the certificate inference-model-tls.ts issues, and TLSReady says whether it is there.
 */
import type { InferenceModel, InferenceModelStatus } from '../../../crds/inference-model.ts';
import { VERSION_LABEL } from '../render/labels.ts';
import {
  COLORS,
  MODEL_BYTES_ANNOTATION,
  modelEndpoint,
  renderModelServer,
  type Color,
  ownerReferenceTo,
  type ModelServerSettings,
} from '../render/model-server.ts';
import { renderModelTlsSecret, withModelServerTls } from '../render/model-server-tls.ts';
import { describeBytes, modelMemory, type ModelMemory } from '../render/quantity.ts';
import type { EventIntent } from '../runtime/events.ts';
import type { KubeObject } from '../runtime/objects.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import {
  planRollout,
  versionOf,
  type ColorDeployment,
  type ColorProbe,
  type RolloutPlan,
} from './model-rollout.ts';
import {
  modelTlsPolicy,
  modelTlsSecretName,
  type ModelTlsObserved,
} from './inference-model-tls.ts';
import { must, type GaugeSample, type ReconcileResult } from './types.ts';

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

/**
 * The pods' own view of MemoryHeadroomOK: below the declared check (which wins when it fails),
 * False while a pod of the active colour reports memory_headroom_low (free memory under
 * headroomFactor × the model it serves: a swap of the same size would not fit beside it).
 */
export function runtimeHeadroomPolicy(
  declared: Verdict,
  low: { pods: number; lowestRatio: number } | undefined,
  color: string,
  factor: number,
): Verdict {
  if (declared.status === 'False' || low === undefined) return declared;
  return verdict(
    'False',
    'MemoryHeadroomLow',
    `${String(low.pods)} pod(s) of ${color} report free memory of ${low.lowestRatio.toFixed(2)} × the model they serve, below headroomFactor ${String(factor)}: a version of the same size would not fit beside it (an Auto rollout goes blue/green); raise resources.limits.memory.`,
  );
}

/** How often the active pods are asked about their memory in a steady state. */
const POD_LOOK_MS = 30_000;

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

/** A colour's Deployment and ConfigMap as the caches hold them. */
export interface ColorObserved {
  deployment: (DeploymentState & PodTemplateLabels) | undefined;
  /** The colour's ConfigMap `spec.json`. */
  specText: string | undefined;
  /** ... and its `served.json`. */
  servedText: string | undefined;
}

/** The pod template labels of a Deployment (its version label). */
export interface PodTemplateLabels {
  spec?: {
    replicas?: number;
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
  };
}

export interface InferenceModelObserved {
  model: InferenceModel | undefined;
  colors: Readonly<Partial<Record<Color, ColorObserved>>>;
  /** What the pods of each colour said; asked only while a version waits to become active. */
  probes: Readonly<Partial<Record<Color, ColorProbe>>>;
  settings: ModelServerSettings;
  /** What the certificate of `spec.tls` is decided from; undefined when spec.tls is unset. */
  tls?: ModelTlsObserved | undefined;
  now: Date;
}

export function reconcileInferenceModel(
  o: InferenceModelObserved,
): ReconcileResult<InferenceModelStatus> {
  const model = o.model;
  if (model === undefined || model.metadata.deletionTimestamp !== undefined) return { desired: [] };
  const memory = modelMemory(model.spec);
  const previous = model.status;
  const progressingBefore = previous?.conditions?.find((c) => c.type === 'Progressing');
  const plan = planRollout({
    model,
    memory,
    deployments: Object.fromEntries(
      COLORS.flatMap((color) => {
        const observed = o.colors[color];
        return observed?.deployment === undefined ? [] : [[color, colorDeployment(observed)]];
      }),
    ),
    probes: o.probes,
    switchedAt:
      progressingBefore?.status === 'False'
        ? new Date(progressingBefore.lastTransitionTime)
        : undefined,
    now: o.now,
    rollbackWindowMs: (model.spec.rollout?.rollbackWindowSeconds ?? 600) * 1000,
  });
  const namespace = model.metadata.namespace ?? '';
  // spec.tls is never rendered without its certificate's decision: no silent plaintext.
  const tls =
    model.spec.tls === undefined
      ? undefined
      : modelTlsPolicy(must(o.tls, 'the model TLS observed'));
  const secretName = modelTlsSecretName(model.metadata.name);
  const servers = renderModelServer(model, o.settings, plan);
  const desired: KubeObject[] =
    tls === undefined
      ? servers
      : [
          ...withModelServerTls(servers, secretName),
          ...(tls.files === undefined || tls.notAfter === undefined || tls.renewAt === undefined
            ? []
            : renderModelTlsSecret(
                {
                  name: secretName,
                  namespace,
                  modelName: model.metadata.name,
                  owner: ownerReferenceTo(model as unknown as KubeObject),
                },
                tls.files,
                { notAfter: tls.notAfter, renewAt: tls.renewAt },
              )),
        ];
  const replicas = model.spec.replicas ?? 1;
  const activeDeployment = o.colors[plan.activeColor]?.deployment;
  const declared = memoryHeadroomPolicy(memory);
  const headroom = runtimeHeadroomPolicy(
    declared,
    o.probes[plan.activeColor]?.headroomLow,
    plan.activeColor,
    model.spec.headroomFactor ?? 1.3,
  );
  const degraded = plan.problem ?? degradedOf(plan, o);
  // Not ready while the memory limit cannot hold the model or the active colour is stuck; else
  // ready once its replicas are. A new version that does not come up leaves it Ready (the
  // active one serves) and Degraded.
  const stuck = degradedPolicy(activeDeployment);
  const ready = firstProblem(
    [
      // The declared limit only: pods short of room for a second version still serve.
      declared.status === 'False' ? declared : verdict('True', declared.reason, declared.message),
      tls?.ready ?? verdict('True', 'NoTLS', 'The model serves no TLS.'),
      stuck.status === 'True'
        ? verdict('False', stuck.reason, stuck.message)
        : verdict('True', stuck.reason, stuck.message),
      plan.activeVersion === undefined
        ? verdict('False', 'ReplicasNotReady', plan.progressing.message)
        : availabilityPolicy(replicas, activeDeployment),
    ],
    verdict(
      'True',
      'Available',
      `${replicas} of ${replicas} replicas serve version ${plan.activeVersion ?? ''} on ${plan.activeColor}.`,
    ),
  );
  const generation = model.metadata.generation;
  const s = activeDeployment?.status;
  const status: InferenceModelStatus = {
    conditions: setConditions(
      previous?.conditions,
      {
        Ready: ready,
        Progressing: plan.progressing,
        Degraded: degraded,
        MemoryHeadroomOK: headroom,
        ...(tls === undefined ? {} : { TLSReady: tls.ready }),
      },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(plan.activeVersion === undefined
      ? {}
      : { activeVersion: plan.activeVersion, activeColor: plan.activeColor }),
    ...(plan.previousVersion === undefined ? {} : { previousVersion: plan.previousVersion }),
    endpoint: modelEndpoint(namespace, model.metadata.name, tls !== undefined),
    replicas: s?.replicas ?? 0,
    readyReplicas: s?.readyReplicas ?? 0,
  };
  const switched = plan.switched;
  const requeues = [
    plan.requeueAfterMs,
    tls?.nextChangeMs,
    // The active pods are asked about their memory again.
    plan.activeVersion === undefined ? undefined : POD_LOOK_MS,
  ].filter((ms): ms is number => ms !== undefined);
  const events: EventIntent[] = [
    ...(switched === undefined || switched.from === undefined
      ? []
      : [
          {
            type: 'Normal' as const,
            reason: plan.strategy === 'InPlace' ? 'SwappedInPlace' : 'SwitchedColor',
            note: `Version ${switched.to} serves on ${switched.color}, replacing ${switched.from} (${plan.strategy}).`,
            action: 'Rollout',
          },
        ]),
    ...(tls?.issued === undefined
      ? []
      : [
          {
            type: 'Normal' as const,
            reason: 'CertificateIssued',
            note: tls.issued,
            action: 'Issue',
          },
        ]),
  ];
  const gauges: GaugeSample[] = [
    {
      gauge: 'memoryHeadroomRatio',
      labels: { namespace, model: model.metadata.name },
      value: memory.limit === undefined ? 0 : memory.limit / memory.needed,
    },
    ...(tls?.notAfter === undefined
      ? []
      : [
          {
            gauge: 'tlsSecretExpiry' as const,
            labels: { namespace, secret: secretName },
            value: tls.notAfter / 1000,
          },
        ]),
  ];
  return {
    desired,
    status,
    ...(requeues.length === 0 ? {} : { requeueAfterMs: Math.min(...requeues) }),
    ...(events.length === 0 ? {} : { events }),
    gauges,
  };
}

function colorDeployment(observed: ColorObserved): ColorDeployment {
  const deployment = observed.deployment;
  const replicas = deployment?.spec?.replicas ?? 0;
  return {
    version: versionOf(observed.specText),
    podVersion: deployment?.spec?.template?.metadata?.labels?.[VERSION_LABEL],
    podModelBytes: bytesOf(
      deployment?.spec?.template?.metadata?.annotations?.[MODEL_BYTES_ANNOTATION],
    ),
    specText: observed.specText,
    servedText: observed.servedText,
    replicas,
    rolledOut: progressingPolicy(replicas, deployment).status === 'False',
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
  };
}

function bytesOf(annotation: string | undefined): number | undefined {
  const bytes = Number(annotation);
  return annotation === undefined || !Number.isSafeInteger(bytes) || bytes < 1 ? undefined : bytes;
}

/** A colour the plan runs whose Deployment gave up (progress deadline) or cannot make pods. */
function degradedOf(plan: RolloutPlan, o: InferenceModelObserved): Verdict {
  for (const color of COLORS) {
    if ((plan.colors[color]?.replicas ?? 0) === 0) continue;
    const verdict = degradedPolicy(o.colors[color]?.deployment);
    if (verdict.status === 'True') return verdict;
  }
  return degradedPolicy(undefined);
}
