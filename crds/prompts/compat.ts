import semver from 'semver';
import type { PromptManifestSpec } from '../prompt-manifest.ts';
import { findSchemaNarrowings, type SchemaNarrowing } from './schema-compat.ts';
import { requiresPath, schemaDefault } from './schema-walk.ts';
import { formatPath } from './schema-error.ts';
import { parseTemplate } from './template.ts';

/** A change that can make a request which worked against the old manifest fail or mean less. */
export interface BreakingChange {
  kind: 'id-changed' | 'slice-removed' | SchemaNarrowing['kind'];
  /** The field: `spec.id`, `spec.slices.greeting`, `variables.user.name`. */
  path: string;
  message: string;
}

export interface CompatibilityReport {
  /** Every breaking change from base to head, whatever the versions say. */
  changes: BreakingChange[];
  /** Whether head's version announces breaking changes (see `announcesBreakingChanges`). */
  majorBump: boolean;
  /** No breaking change, or a version that announces them. */
  ok: boolean;
}

/**
 * Compares a manifest with an earlier one of the same prompt (the same file at a git base).
 * Breaking changes: a changed id; a removed slice (by name); a removed variable (declared
 * before, now neither declared nor used by a template); a newly required variable (by the
 * schema, or by a template that now uses a variable which the old version neither used nor
 * required and which has no default); a variable constrained further (`findSchemaNarrowings`).
 * Pure; the caller reads the files.
 */
export function checkCompatibility(
  base: PromptManifestSpec,
  head: PromptManifestSpec,
): CompatibilityReport {
  const changes = findBreakingChanges(base, head);
  const majorBump = announcesBreakingChanges(base.version, head.version);
  return { changes, majorBump, ok: changes.length === 0 || majorBump };
}

/** The breaking changes alone, whatever the versions say (see `checkCompatibility`). */
export function findBreakingChanges(
  base: PromptManifestSpec,
  head: PromptManifestSpec,
): BreakingChange[] {
  const changes: BreakingChange[] = [];
  if (base.id !== head.id) {
    changes.push({
      kind: 'id-changed',
      path: 'spec.id',
      message: `spec.id changed from ${base.id} to ${head.id}; callers of ${base.id} lose it`,
    });
  }
  const headSlices = new Set(head.slices.map((slice) => slice.name));
  for (const slice of base.slices) {
    if (!headSlices.has(slice.name)) {
      changes.push({
        kind: 'slice-removed',
        path: `spec.slices.${slice.name}`,
        message: `slice ${slice.name} was removed`,
      });
    }
  }
  const headUses = [...templatePaths(head).values()].map((path) => formatPath('variables', path));
  for (const narrowing of findSchemaNarrowings(base.variables, head.variables)) {
    // A variable the schema no longer declares but a template still uses is not gone.
    const stillUsed = headUses.some(
      (used) => used === narrowing.path || used.startsWith(`${narrowing.path}.`),
    );
    if (narrowing.kind !== 'variable-removed' || !stillUsed) changes.push(narrowing);
  }
  const reported = new Set(changes.map((change) => change.path));
  const used = templatePaths(base);
  for (const [dotted, path] of templatePaths(head)) {
    const label = formatPath('variables', path);
    if (
      path.length === 0 ||
      used.has(dotted) ||
      requiresPath(base.variables, path) ||
      reported.has(label) ||
      schemaDefault(head.variables, path) !== undefined
    ) {
      continue;
    }
    changes.push({
      kind: 'variable-required',
      path: label,
      message: `${label} is now required: a template uses {{${dotted}}} and it has no default`,
    });
  }
  return changes;
}

/**
 * Whether moving from `base` to `head` may break callers: head is higher and outside base's
 * caret range, as npm reads `^base`. So `1.4.0 → 2.0.0` and `0.3.1 → 0.4.0` announce breaking
 * changes, while `1.4.0 → 1.5.0` and `0.3.1 → 0.3.2` do not; a client that asks for `^1.4`
 * never receives one.
 */
export function announcesBreakingChanges(base: string, head: string): boolean {
  return semver.gt(head, base) && !semver.satisfies(head, `^${base}`, { includePrerelease: true });
}

function templatePaths(spec: PromptManifestSpec): Map<string, readonly string[]> {
  const paths = new Map<string, readonly string[]>();
  for (const slice of spec.slices) {
    for (const path of parseTemplate(slice.text).paths) paths.set(path.join('.'), path);
  }
  return paths;
}
