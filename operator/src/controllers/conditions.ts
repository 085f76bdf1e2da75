/**
 * Status conditions with apimachinery's SetStatusCondition semantics: a condition's
 * lastTransitionTime moves only when its status flips; reason, message and observedGeneration
 * always follow the latest pass.
 */
import type { Condition } from '../../../crds/common.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** What a policy decided: a status, a PascalCase reason and a message a person can act on. */
export interface Verdict {
  status: ConditionStatus;
  reason: string;
  message: string;
}

export const verdict = (status: ConditionStatus, reason: string, message: string): Verdict => ({
  status,
  reason,
  message,
});

/** metav1.Time: RFC 3339 in whole seconds, as the API server writes it. */
export function metaTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The conditions after setting each of `verdicts` (in that order) on `existing`: a condition
 * whose status is unchanged keeps its lastTransitionTime. Conditions of other types are dropped:
 * the operator owns every condition of its kinds.
 */
export function setConditions(
  existing: readonly Condition[] | undefined,
  verdicts: Readonly<Record<string, Verdict>>,
  generation: number | undefined,
  now: Date,
): Condition[] {
  return Object.entries(verdicts).map(([type, v]) => {
    const previous = existing?.find((c) => c.type === type);
    const lastTransitionTime =
      previous !== undefined && previous.status === v.status
        ? previous.lastTransitionTime
        : metaTime(now);
    return {
      type,
      status: v.status,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      lastTransitionTime,
      reason: v.reason,
      message: v.message,
    };
  });
}

/** The first verdict that is not True, else `ready`. */
export function firstProblem(verdicts: readonly Verdict[], ready: Verdict): Verdict {
  return verdicts.find((v) => v.status !== 'True') ?? ready;
}
