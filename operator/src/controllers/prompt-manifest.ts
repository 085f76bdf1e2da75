/**
 * PromptManifest: verifies the checksum (expected vs actual), validates the manifest exactly as
 * the dataplane will load it, and refuses a breaking change that comes without a major version
 * bump (compared with the next lower accepted version of the same prompt id in the namespace).
 * Only manifests that pass are rendered into the `inference-prompts` ConfigMap: one bad
 * manifest must not make the dataplane refuse the whole config contract.
 */
import semver from 'semver';
import { stringify } from 'yaml';
import { promptChecksum } from '../../../crds/checksum.ts';
import type { PromptManifest, PromptManifestStatus } from '../../../crds/prompt-manifest.ts';
import { checkCompatibility } from '../../../crds/prompts/compat.ts';
import { parsePromptManifest } from '../../../crds/prompts/manifest.ts';
import { firstProblem, setConditions, verdict, type Verdict } from './conditions.ts';
import { byAge, must, type ReconcileResult } from './types.ts';

export interface PromptResolution {
  /** The file `prompts/<name>.yaml` as rendered; undefined when the manifest is left out. */
  file: string | undefined;
  /** The checksum computed from the spec. */
  actualChecksum: string;
  valid: Verdict;
  conflict: Verdict;
  breakingChange: string | undefined;
}

/** The file the dataplane reads: the CR without status or server metadata, as YAML. */
export function promptFile(manifest: PromptManifest): string {
  return stringify(
    {
      apiVersion: manifest.apiVersion,
      kind: 'PromptManifest',
      metadata: { name: manifest.metadata.name },
      spec: manifest.spec,
    },
    { lineWidth: 0 },
  );
}

// --- policies ---------------------------------------------------------------------------------

/** spec.checksum must be the checksum of the spec. */
export function checksumPolicy(manifest: PromptManifest, actual: string): Verdict {
  if (manifest.spec.checksum === actual) {
    return verdict('True', 'ChecksumVerified', `The checksum ${actual} matches the spec.`);
  }
  return verdict(
    'False',
    'ChecksumMismatch',
    `spec.checksum is ${manifest.spec.checksum} but the spec hashes to ${actual} (expected ${manifest.spec.checksum}, actual ${actual}); recompute it with \`node scripts/prompts.ts checksum --write\`.`,
  );
}

/** The dataplane's own parser must accept the rendered file (schema, templates, variables). */
export function manifestPolicy(file: string, name: string): Verdict {
  try {
    parsePromptManifest(file, `prompts/${name}.yaml`, { verifyChecksum: false });
    return verdict('True', 'Valid', 'The manifest is valid.');
  } catch (err) {
    return verdict('False', 'InvalidManifest', (err as Error).message);
  }
}

/** A breaking change needs a major bump over the previous accepted version. */
export function compatibilityPolicy(
  manifest: PromptManifest,
  previous: PromptManifest | undefined,
): { verdict: Verdict; breakingChange?: string } {
  if (previous === undefined) {
    return {
      verdict: verdict('True', 'Compatible', 'No earlier version of this prompt in the namespace.'),
    };
  }
  const report = checkCompatibility(previous.spec, manifest.spec);
  if (report.ok) {
    return {
      verdict: verdict(
        'True',
        'Compatible',
        report.changes.length === 0
          ? `Compatible with version ${previous.spec.version}.`
          : `Breaking changes over ${previous.spec.version}, announced by the major version bump.`,
      ),
    };
  }
  const breakingChange = report.changes.map((c) => c.message).join('; ');
  return {
    verdict: verdict(
      'False',
      'BreakingChangeWithoutMajorBump',
      `Version ${manifest.spec.version} breaks version ${previous.spec.version} (${breakingChange}) without a major version bump.`,
    ),
    breakingChange,
  };
}

// --- resolution -------------------------------------------------------------------------------

/** Every manifest of a namespace, judged; the gateway renders those with `file` set. */
export function resolvePrompts(
  manifests: readonly PromptManifest[],
): Map<string, PromptResolution> {
  const out = new Map<string, PromptResolution>();
  const byId = new Map<string, PromptManifest[]>();
  for (const manifest of manifests) {
    const list = byId.get(manifest.spec.id) ?? [];
    list.push(manifest);
    byId.set(manifest.spec.id, list);
  }
  for (const versions of byId.values()) {
    // Ascending version; for one version the oldest resource wins.
    const ordered = [...versions].sort((a, b) => {
      const va = semver.valid(a.spec.version);
      const vb = semver.valid(b.spec.version);
      if (va !== null && vb !== null && va !== vb) return semver.compare(va, vb);
      return byAge(a, b);
    });
    let previous: PromptManifest | undefined;
    const seen = new Map<string, string>();
    // The users the included experiments take, in percent (the gateway refuses more than 100).
    let shared = 0;
    for (const manifest of ordered) {
      const actualChecksum = promptChecksum(manifest.spec);
      const file = promptFile(manifest);
      const checksum = checksumPolicy(manifest, actualChecksum);
      const parsed =
        checksum.status === 'True' ? manifestPolicy(file, manifest.metadata.name) : checksum;
      const compat =
        parsed.status === 'True' ? compatibilityPolicy(manifest, previous) : { verdict: parsed };
      const valid = firstProblem(
        [checksum, parsed, compat.verdict],
        verdict('True', 'Valid', `Checksum verified; ${compat.verdict.message}`),
      );
      const owner = seen.get(manifest.spec.version);
      const percent = manifest.spec.experiment?.percent ?? 0;
      const conflict =
        owner !== undefined
          ? verdict(
              'False',
              'DuplicateVersion',
              `PromptManifest ${owner} already serves ${manifest.spec.id} version ${manifest.spec.version}; bump the version of one of them.`,
            )
          : shared + percent > 100
            ? verdict(
                'False',
                'ExperimentOverbooked',
                `The experiments of ${manifest.spec.id} would take ${String(shared + percent)} % of its users with this one; they share at most 100 %.`,
              )
            : verdict(
                'True',
                'VersionAvailable',
                `Serves ${manifest.spec.id} ${manifest.spec.version}${percent === 0 ? '' : ` to ${String(percent)} % of its users (an experiment)`}.`,
              );
      const included = valid.status === 'True' && conflict.status === 'True';
      if (included) {
        seen.set(manifest.spec.version, manifest.metadata.name);
        shared += percent;
        previous = manifest;
      }
      out.set(manifest.metadata.name, {
        file: included ? file : undefined,
        actualChecksum,
        valid,
        conflict,
        breakingChange: compat.breakingChange,
      });
    }
  }
  return out;
}

// --- reconcile --------------------------------------------------------------------------------

export interface PromptManifestObserved {
  manifest: PromptManifest | undefined;
  /** Every PromptManifest of the namespace (this one included). */
  manifests: readonly PromptManifest[];
  /** Data of the rendered `inference-prompts` ConfigMap; undefined before the first render. */
  renderedPrompts: Readonly<Record<string, string>> | undefined;
  now: Date;
}

export function reconcilePromptManifest(
  o: PromptManifestObserved,
): ReconcileResult<PromptManifestStatus> {
  const manifest = o.manifest;
  if (manifest === undefined) return { desired: [] };
  const resolution = must(
    resolvePrompts(o.manifests).get(manifest.metadata.name),
    `the resolution of ${manifest.metadata.name}`,
  );
  const key = `${manifest.metadata.name}.yaml`;
  const rendered =
    resolution.file === undefined
      ? verdict('False', 'NotRendered', 'The manifest is not rendered.')
      : o.renderedPrompts?.[key] === resolution.file
        ? verdict('True', 'Rendered', 'The manifest is in the config contract the gateway reads.')
        : verdict(
            'Unknown',
            'RenderPending',
            'The manifest is not yet in the rendered config contract.',
          );
  const ready = firstProblem(
    [resolution.valid, resolution.conflict, rendered],
    verdict('True', 'Serving', `The gateway serves ${manifest.spec.id} ${manifest.spec.version}.`),
  );
  const generation = manifest.metadata.generation;
  const status: PromptManifestStatus = {
    conditions: setConditions(
      manifest.status?.conditions,
      { Ready: ready, Valid: resolution.valid },
      generation,
      o.now,
    ),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    checksum: resolution.actualChecksum,
    ...(resolution.breakingChange === undefined
      ? {}
      : { breakingChange: resolution.breakingChange }),
  };
  return { desired: [], status };
}
