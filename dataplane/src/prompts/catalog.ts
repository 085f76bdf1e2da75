import semver from 'semver';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';
import { ManifestError } from '../../../crds/prompts/manifest.ts';
import { experimentShare } from './experiment.ts';
import type { PromptCatalog } from './resolver.ts';

/** A parsed manifest and the file it came from. */
export interface LoadedManifest {
  readonly spec: PromptManifestSpec;
  readonly source: string;
}

/**
 * Groups parsed manifests by id into the catalog `createPromptResolver` reads: ids in the order
 * they first appear (so a loader that lists the busiest prompts first has them preloaded),
 * versions highest first. Two manifests with one id and version (by semver precedence, so
 * `1.0.0+a` and `1.0.0+b` collide) are refused with a `ManifestError` that names both files,
 * and so are experiments of one id that share out more than 100 % of its users.
 */
export function buildPromptCatalog(manifests: Iterable<LoadedManifest>): PromptCatalog {
  const byId = new Map<string, LoadedManifest[]>();
  for (const manifest of manifests) {
    const versions = byId.get(manifest.spec.id) ?? [];
    const twin = versions.find((other) => semver.eq(other.spec.version, manifest.spec.version));
    if (twin !== undefined) {
      throw new ManifestError(
        manifest.source,
        `declares ${manifest.spec.id}@${manifest.spec.version}, as ${twin.source} already does`,
        { path: 'spec.version' },
      );
    }
    versions.push(manifest);
    byId.set(manifest.spec.id, versions);
  }
  const catalog = new Map<string, readonly PromptManifestSpec[]>();
  for (const [id, versions] of byId) {
    const share = experimentShare(versions.map((v) => v.spec));
    if (share > 100) {
      const sources = versions.filter((v) => v.spec.experiment !== undefined).map((v) => v.source);
      throw new ManifestError(
        sources.at(-1) ?? '',
        `takes the experiments of ${id} to ${String(share)} % of its users (${sources.join(', ')}); they share at most 100 %`,
        { path: 'spec.experiment.percent' },
      );
    }
    catalog.set(
      id,
      versions.map((v) => v.spec).sort((a, b) => semver.rcompare(a.version, b.version)),
    );
  }
  return catalog;
}
