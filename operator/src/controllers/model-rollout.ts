/**
 * How a new InferenceModel version replaces the active one (DESIGN §3), decided from the
 * status the operator wrote, the two colour Deployments and what the pods say. The operator
 * never writes spec, so every pass recomputes the plan from these: GitOps stays clean, and a
 * spec set back to `status.previousVersion` is a rollback like any other version change.
 *
 * - InPlace: one colour serves; its pods read the version from a ConfigMap and swap in the pod
 *   (dual-load, warm-up, atomic switch: dataplane/src/model-server/swap.ts). The version is
 *   active once every ready pod says it serves it.
 * - BlueGreen: the idle colour gets the new version in fresh pods; once they are all ready and a
 *   smoke request through one of them answers, the model's Service switches colour in one
 *   write. The old colour keeps its pods for the rollback window, then scales to zero.
 * - Auto: InPlace below 8 GiB of modelBytes when the memory limit holds both versions
 *   (modelBytes × (1 + headroomFactor)), and when no pod has refused the dual-load; BlueGreen
 *   otherwise.
 */
import type { InferenceModel } from '../../../crds/inference-model.ts';
import { specJson, type Color, type ColorPlan } from '../render/model-server.ts';
import type { ModelMemory } from '../render/quantity.ts';
import { verdict, type Verdict } from './conditions.ts';

export type Strategy = 'InPlace' | 'BlueGreen';

export const other = (color: Color): Color => (color === 'blue' ? 'green' : 'blue');

/** modelBytes from which Auto swaps blue/green: two copies in one pod get expensive. */
export const AUTO_BLUE_GREEN_BYTES = 8 * 2 ** 30;

/** What the pods behind one colour's Service said (runtime/model-probe.ts). */
export interface ColorProbe {
  /** Ready endpoints listed for the colour's Service. */
  endpoints: number;
  /** Endpoints that answered, by the version their `/readyz` says they serve. */
  serving: Readonly<Record<string, number>>;
  /**
   * The latest swap a pod refused (mem_guard), failed (load or warm-up) or rolled back (error
   * rate), and for which version.
   */
  swapProblem?:
    | {
        version: string;
        result: 'refused' | 'failed' | 'rolled_back';
        reason: string;
        message: string;
      }
    | undefined;
  /**
   * Pods that report memory_headroom_low (free memory below headroomFactor × the model they
   * serve), and the lowest ratio among them.
   */
  headroomLow?: { pods: number; lowestRatio: number } | undefined;
  /** A chat (or embeddings) request through one endpoint serving the asked-for version. */
  smoke?: { ok: boolean; message: string } | undefined;
  /** Why the pods could not be asked. */
  error?: string | undefined;
}

/** A colour's Deployment as the cache holds it. */
export interface ColorDeployment {
  /** The version its ConfigMap gives the pods (they swap in place when it changes). */
  version: string | undefined;
  /** The version its pod template carries: the one its pods started with. */
  podVersion: string | undefined;
  /** The modelBytes its pods were sized for (their memory request). */
  podModelBytes: number | undefined;
  /** Its ConfigMap's `spec.json`: the version its pods are to serve. */
  specText: string | undefined;
  /**
   * Its ConfigMap's `served.json`: the version it last served as the active one, kept so that
   * its pods can go back to it when a new version is refused (spec has only the new source).
   */
  servedText: string | undefined;
  replicas: number;
  /** Whether its replicas are all updated, ready and none are left over. */
  rolledOut: boolean;
  readyReplicas: number;
}

export interface RolloutObserved {
  model: InferenceModel;
  memory: ModelMemory;
  deployments: Readonly<Partial<Record<Color, ColorDeployment>>>;
  /** Asked only while a version waits to become active. */
  probes: Readonly<Partial<Record<Color, ColorProbe>>>;
  /** When the active version became active (Progressing turned False), for the window. */
  switchedAt: Date | undefined;
  now: Date;
  rollbackWindowMs: number;
}

export interface RolloutPlan {
  strategy: Strategy;
  /** The colour the model's Service selects. */
  activeColor: Color;
  activeVersion: string | undefined;
  previousVersion: string | undefined;
  colors: Partial<Record<Color, ColorPlan>>;
  progressing: Verdict;
  /** Set when the rollout is stuck on something the pods said. */
  problem?: Verdict;
  /** A switch this pass made, for the Event. */
  switched?: { from: string | undefined; to: string; color: Color };
  /** Reconcile again then (end of the rollback window, or polling the pods). */
  requeueAfterMs?: number;
}

/** The strategy for the version now wanted, and why (for the status message). */
export function chooseStrategy(
  model: InferenceModel,
  memory: ModelMemory,
  refusedInPod: boolean,
): { strategy: Strategy; why: string } {
  const asked = model.spec.rollout?.strategy ?? 'Auto';
  if (model.spec.runtime === 'container')
    return { strategy: 'BlueGreen', why: "an image's server cannot swap in its pods" };
  if (asked !== 'Auto') return { strategy: asked, why: `rollout.strategy is ${asked}` };
  if (model.spec.modelBytes >= AUTO_BLUE_GREEN_BYTES)
    return { strategy: 'BlueGreen', why: 'modelBytes is 8 GiB or more' };
  const dualLoad = model.spec.modelBytes + memory.needed;
  if (memory.limit !== undefined && memory.limit < dualLoad)
    return { strategy: 'BlueGreen', why: 'the memory limit cannot hold two versions at once' };
  if (refusedInPod) return { strategy: 'BlueGreen', why: 'a pod refused the in-pod swap' };
  return { strategy: 'InPlace', why: 'the model is small enough to swap inside its pods' };
}

const POLL_MS = 5_000;

export function planRollout(o: RolloutObserved): RolloutPlan {
  return withServed(o, decide(o));
}

function decide(o: RolloutObserved): RolloutPlan {
  const { model } = o;
  const wanted = model.spec.version;
  const replicas = model.spec.replicas ?? 1;
  const status = model.status ?? {};
  const active: Color = status.activeColor ?? 'blue';
  const current = status.activeVersion;

  // First version: one colour, active once its pods are ready.
  if (current === undefined) {
    const deployment = o.deployments[active];
    const done = deployment?.podVersion === wanted && deployment.rolledOut;
    return {
      strategy: chooseStrategy(model, o.memory, false).strategy,
      activeColor: active,
      activeVersion: done ? wanted : undefined,
      previousVersion: undefined,
      colors: { [active]: fresh(model, replicas) },
      progressing: done
        ? verdict('False', 'RolloutComplete', `Version ${wanted} serves on ${active}.`)
        : verdict('True', 'Deploying', `Version ${wanted} is starting on ${active}.`),
      ...(done ? { switched: { from: undefined, to: wanted, color: active } } : {}),
    };
  }

  if (wanted === current) return steady(o, active, current, replicas);

  const problem = o.probes[active]?.swapProblem;
  const ofWanted = problem?.version === wanted ? problem : undefined;
  const { strategy, why } = chooseStrategy(model, o.memory, ofWanted?.result === 'refused');
  if (strategy === 'InPlace') return inPlace(o, active, current, replicas, ofWanted);
  return blueGreen(o, active, current, replicas, why);
}

/** New pods of the version in spec. */
function fresh(model: InferenceModel, replicas: number): ColorPlan {
  const { version, modelBytes } = model.spec;
  return {
    version,
    podVersion: version,
    podModelBytes: modelBytes,
    replicas,
    specText: specJson(model),
  };
}

/** The version a colour's ConfigMap text gives its pods. */
export function versionOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** The ConfigMap text of version: spec's, or one the colour kept. */
function textOf(o: RolloutObserved, color: Color, version: string): string {
  if (version === o.model.spec.version) return specJson(o.model);
  const observed = o.deployments[color];
  const kept = [observed?.servedText, observed?.specText].find((t) => versionOf(t) === version);
  // Nothing kept it (the ConfigMap was replaced by hand): the pods go on as they are told.
  return kept ?? observed?.specText ?? specJson(o.model);
}

/**
 * What the colour's pods keep: the version they started with and the memory they were sized
 * for, so that nothing rolls them (a new version in their ConfigMap swaps inside them).
 */
function keep(o: RolloutObserved, color: Color, version: string, replicas: number): ColorPlan {
  const observed = o.deployments[color];
  return {
    version,
    podVersion: observed?.podVersion ?? version,
    podModelBytes: observed?.podModelBytes ?? o.model.spec.modelBytes,
    replicas,
    specText: textOf(o, color, version),
  };
}

/**
 * The plan with each colour's `served.json`: the active colour's, once it serves the active
 * version, is that version's text; every other keeps what it had.
 */
function withServed(o: RolloutObserved, plan: RolloutPlan): RolloutPlan {
  const colors: Partial<Record<Color, ColorPlan>> = {};
  for (const [color, colorPlan] of Object.entries(plan.colors) as [Color, ColorPlan][]) {
    const served =
      color === plan.activeColor && colorPlan.version === plan.activeVersion
        ? colorPlan.specText
        : o.deployments[color]?.servedText;
    colors[color] = { ...colorPlan, ...(served === undefined ? {} : { servedText: served }) };
  }
  return { ...plan, colors };
}

/** The wanted version is active: the idle colour holds the previous one for the window. */
function steady(o: RolloutObserved, active: Color, current: string, replicas: number): RolloutPlan {
  const idle = other(active);
  const status = o.model.status ?? {};
  const colors: Partial<Record<Color, ColorPlan>> = {
    [active]: keep(o, active, current, replicas),
  };
  const standby = o.deployments[idle];
  const windowEnds = (o.switchedAt?.getTime() ?? 0) + o.rollbackWindowMs;
  // What spec says, not what the Deployment has: a hand edit is restored like any other.
  const inWindow =
    o.now.getTime() < windowEnds &&
    standby?.version !== undefined &&
    standby.version === status.previousVersion;
  if (standby?.version !== undefined) {
    colors[idle] = keep(o, idle, standby.version, inWindow ? replicas : 0);
  }
  const keeps = inWindow
    ? ` Version ${standby.version} stays on ${idle} for a rollback until ${new Date(windowEnds).toISOString()}.`
    : '';
  return {
    strategy: chooseStrategy(o.model, o.memory, false).strategy,
    activeColor: active,
    activeVersion: current,
    previousVersion: status.previousVersion,
    colors,
    progressing:
      o.deployments[active]?.rolledOut === true
        ? verdict('False', 'RolloutComplete', `Version ${current} serves on ${active}.${keeps}`)
        : verdict('True', 'Scaling', `Version ${current} on ${active} is not fully rolled out.`),
    ...(inWindow ? { requeueAfterMs: windowEnds - o.now.getTime() } : {}),
  };
}

function inPlace(
  o: RolloutObserved,
  active: Color,
  current: string,
  replicas: number,
  refused: ColorProbe['swapProblem'],
): RolloutPlan {
  const wanted = o.model.spec.version;
  const status = o.model.status ?? {};
  const waiting = {
    strategy: 'InPlace' as const,
    activeColor: active,
    activeVersion: current,
    previousVersion: status.previousVersion,
  };
  if (refused !== undefined) {
    // A refusal gets here only with an explicit InPlace (Auto starts new pods instead); a
    // failed load or warm-up, or a swap back on errors, with either. The pods go back to what
    // they serve, and a new version in spec is a new try.
    return {
      ...waiting,
      colors: { [active]: keep(o, active, current, replicas) },
      progressing: verdict('False', 'SwapRefused', `Version ${wanted} was not swapped in.`),
      problem: verdict(
        'True',
        refused.reason,
        refused.result === 'refused'
          ? `A pod refused to swap to ${wanted} in place: ${refused.message} (rollout.strategy is InPlace; BlueGreen or Auto would start new pods for it).`
          : `A pod did not keep ${wanted}: ${refused.message}; ${current} goes on serving.`,
      ),
    };
  }
  const colors = { [active]: keep(o, active, wanted, replicas) };
  const probe = o.probes[active];
  const serving = probe?.serving[wanted] ?? 0;
  const everyPod =
    probe !== undefined && probe.endpoints >= replicas && serving === probe.endpoints;
  if (everyPod && o.deployments[active]?.rolledOut === true) {
    return {
      ...waiting,
      colors,
      activeVersion: wanted,
      previousVersion: current,
      progressing: verdict('False', 'RolloutComplete', `Version ${wanted} serves on ${active}.`),
      switched: { from: current, to: wanted, color: active },
    };
  }
  const said = probe?.error ?? `${serving} of ${probe?.endpoints ?? 0} ready pods serve it`;
  return {
    ...waiting,
    colors,
    progressing: verdict(
      'True',
      'SwappingInPlace',
      `Version ${wanted} is swapping in inside the pods of ${active}: ${said}.`,
    ),
    requeueAfterMs: POLL_MS,
  };
}

function blueGreen(
  o: RolloutObserved,
  active: Color,
  current: string,
  replicas: number,
  why: string,
): RolloutPlan {
  const idle = other(active);
  const wanted = o.model.spec.version;
  const status = o.model.status ?? {};
  const candidate = o.deployments[idle];
  // Standby pods that already serve the version (a rollback within the window) are kept.
  const standby = candidate?.version === wanted && candidate.replicas > 0;
  const colors: Partial<Record<Color, ColorPlan>> = {
    // The active colour keeps serving what it serves (an in-place ConfigMap goes back to it).
    [active]: keep(o, active, current, replicas),
    // The idle one starts fresh pods.
    [idle]: standby ? keep(o, idle, wanted, replicas) : fresh(o.model, replicas),
  };
  const waiting = {
    strategy: 'BlueGreen' as const,
    activeColor: active,
    activeVersion: current,
    previousVersion: status.previousVersion,
    colors,
    requeueAfterMs: POLL_MS,
  };
  const started = candidate !== undefined && (standby || candidate.podVersion === wanted);
  const allReady =
    started &&
    candidate.rolledOut &&
    candidate.replicas >= replicas &&
    candidate.readyReplicas >= replicas;
  if (!allReady) {
    const ready = started ? candidate.readyReplicas : 0;
    return {
      ...waiting,
      progressing: verdict(
        'True',
        'Deploying',
        `Version ${wanted} is starting on ${idle} (${ready} of ${replicas} ready; blue/green because ${why}); ${current} serves on ${active}.`,
      ),
    };
  }
  const probe = o.probes[idle];
  const smoke = probe?.smoke;
  if (smoke?.ok !== true) {
    const message = smoke?.message ?? probe?.error ?? 'no pod of it answered yet';
    return {
      ...waiting,
      progressing: verdict(
        'True',
        'SmokeTesting',
        `Version ${wanted} is ready on ${idle}; the smoke request has not passed: ${message}.`,
      ),
      ...(smoke === undefined
        ? {}
        : {
            problem: verdict(
              'True',
              'SmokeFailed',
              `The smoke request to ${wanted} on ${idle} failed: ${smoke.message}; ${current} goes on serving on ${active}.`,
            ),
          }),
    };
  }
  return {
    strategy: 'BlueGreen',
    activeColor: idle,
    activeVersion: wanted,
    previousVersion: current,
    colors,
    progressing: verdict('False', 'RolloutComplete', `Version ${wanted} serves on ${idle}.`),
    switched: { from: current, to: wanted, color: idle },
    requeueAfterMs: o.rollbackWindowMs,
  };
}
