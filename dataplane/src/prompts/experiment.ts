/**
 * A/B prompt experiments (PromptManifest `spec.experiment`): a request that names no version
 * gets an experiment's version for its share of the users, the rest the highest release
 * without an experiment. A user's bucket is a hash of the prompt id and the user, so a user
 * keeps their version for as long as the shares stay the same, and two prompts split their
 * users independently.
 */
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';

type Versioned = Pick<PromptManifestSpec, 'version' | 'experiment'>;

/** Buckets per 100 %: shares are honoured to 0.01 %. */
const BUCKETS = 10_000;

/** The user's bucket for a prompt, in [0, 10000). */
export function bucketOf(id: string, assignee: string): number {
  const digest = createHash('sha256').update(id).update('\u0000').update(assignee).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/**
 * The experiment version `assignee` gets for prompt `id`, or undefined for the control group
 * (and for a request with no one to assign). Experiments take consecutive ranges of buckets in
 * version order, so adding one moves no user between the others.
 */
export function experimentFor<T extends Versioned>(
  id: string,
  versions: readonly T[],
  assignee: string | undefined,
): T | undefined {
  if (assignee === undefined) return undefined;
  const experiments = versions
    .filter((v) => v.experiment !== undefined)
    .sort((a, b) => semver.compare(a.version, b.version));
  if (experiments.length === 0) return undefined;
  const bucket = bucketOf(id, assignee);
  let end = 0;
  for (const candidate of experiments) {
    end += Math.round((candidate.experiment?.percent ?? 0) * (BUCKETS / 100));
    if (bucket < end) return candidate;
  }
  return undefined;
}

/** The share the experiments of one prompt take, in percent; more than 100 is refused. */
export function experimentShare(versions: readonly Versioned[]): number {
  return versions.reduce((sum, v) => sum + (v.experiment?.percent ?? 0), 0);
}
