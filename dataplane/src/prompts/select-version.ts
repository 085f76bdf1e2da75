import semver from 'semver';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';
import { ApiError } from '../errors/api-error.ts';

/** The longest version request considered, as semver's own limit for a version string. */
const MAX_REQUEST_LENGTH = 256;

/**
 * Picks the manifest a version request names among one prompt's versions:
 *
 * - none: the highest release (prereleases only when a prompt has nothing else), among the
 *   versions that are not A/B experiments (prompts/experiment.ts assigns those), unless all are;
 * - a version (`1.2.0`): that version, compared by semver precedence (`v1.2.0` is `1.2.0`);
 * - a range (`^1.2`, `1.x`, `>=1 <3`): the highest version it satisfies, following npm's rules
 *   (a prerelease only matches a range that names a prerelease of the same `major.minor.patch`).
 *
 * Returns undefined when nothing matches. Throws `ApiError('BAD_REQUEST')` for a request that
 * is neither a version nor a range, or longer than 256 characters (so that no caller-chosen
 * string of any size becomes a cache key).
 */
export function selectVersion<T extends Pick<PromptManifestSpec, 'version'>>(
  versions: readonly T[],
  requested: string | undefined,
): T | undefined {
  if (requested === undefined) return latest(versions);
  if (requested.length > MAX_REQUEST_LENGTH) {
    throw new ApiError(
      'BAD_REQUEST',
      `Prompt version is longer than ${MAX_REQUEST_LENGTH} characters.`,
      {
        details: { path: 'version' },
      },
    );
  }
  if (semver.valid(requested) !== null) {
    return versions.find((candidate) => semver.eq(candidate.version, requested));
  }
  if (semver.validRange(requested) === null) {
    throw new ApiError(
      'BAD_REQUEST',
      `Prompt version ${JSON.stringify(requested)} is neither a semver version nor a range.`,
      { details: { path: 'version' } },
    );
  }
  const best = semver.maxSatisfying(
    versions.map((candidate) => candidate.version),
    requested,
  );
  return best === null ? undefined : versions.find((candidate) => candidate.version === best);
}

function latest<T extends Pick<PromptManifestSpec, 'version'>>(
  versions: readonly T[],
): T | undefined {
  const control = versions.filter((v) => !('experiment' in v) || v.experiment === undefined);
  let best: T | undefined;
  for (const candidate of control.length === 0 ? versions : control) {
    if (best === undefined || rank(candidate.version, best.version) > 0) best = candidate;
  }
  return best;
}

/** Releases rank above every prerelease, then semver precedence decides. */
function rank(a: string, b: string): number {
  const aRelease = semver.prerelease(a) === null;
  const bRelease = semver.prerelease(b) === null;
  if (aRelease !== bRelease) return aRelease ? 1 : -1;
  return semver.compare(a, b);
}
