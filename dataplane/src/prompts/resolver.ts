import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';
import { ApiError } from '../errors/api-error.ts';
import { experimentFor } from './experiment.ts';
import { EMBEDDED_FALLBACK_PROMPT } from './fallback.ts';
import { compilePrompt, type CompiledPrompt } from './render.ts';
import { selectVersion } from './select-version.ts';
import { TtlLruCache } from './ttl-cache.ts';

/** Prompt id → its versions, as the current configuration snapshot holds them. */
export type PromptCatalog = ReadonlyMap<string, readonly PromptManifestSpec[]>;

export interface PromptResolverOptions {
  /**
   * The current snapshot's manifests; called on every resolve, so it must be cheap (return the
   * snapshot's map). A different map than the last call's empties the cache, as `invalidate`
   * does, but without preloading.
   */
  manifests: () => PromptCatalog;
  /**
   * How long a compiled prompt is served before it is resolved again. A new snapshot empties
   * the cache at once; the TTL bounds staleness when nobody calls `invalidate`. @default 15 minutes
   */
  ttlMs?: number;
  /** Compiled prompts kept; the least recently used one makes room. @default 1000 */
  maxEntries?: number;
  /**
   * How many ids, the first in the catalog's order, have their latest version compiled at start
   * and on `invalidate`. @default 20
   */
  preload?: number;
  /** Longest a resolve that compiles may take before the fallback is served instead. @default 15 */
  budgetMs?: number;
  /**
   * The prompt served instead of an over-budget or (on request) unknown one; `null` for none.
   * @default EMBEDDED_FALLBACK_PROMPT
   */
  fallback?: PromptManifestSpec | null;
  /** Milliseconds on a monotonic clock. @default performance.now */
  now?: () => number;
}

export interface ResolveOptions {
  /**
   * Serve the fallback when no manifest has this id (or version) instead of throwing
   * PROMPT_NOT_FOUND. @default false
   */
  fallback?: boolean;
  /**
   * Who an A/B experiment assigns when no version is named (prompts/experiment.ts); without
   * one, the control version is served.
   */
  assignee?: string | undefined;
}

export interface PromptResolverStats {
  /** Manifests (id and version pairs) in the current snapshot. */
  loaded: number;
  /** Live cache entries: `summarize`, `summarize@1.0.0` and `summarize@^1` are three. */
  cached: number;
  /** Resolves served from the cache of compiled prompts, without compiling. */
  hits: number;
  /** Resolves that compiled a manifest. */
  misses: number;
  /** Resolves that served the fallback (over budget, or an unknown prompt on request). */
  fallbacks: number;
}

export interface PromptResolver {
  /**
   * The compiled prompt for `id` at `version`: an exact version, a semver range, or the
   * highest release when absent (see `selectVersion`). Synchronous: a hit is a map lookup; a
   * miss compiles the manifest (about a millisecond) and caches it under the request and under
   * `id@version`, so that other spellings of one version share the compiled prompt.
   *
   * The time budget: a compile cannot be interrupted, so a resolve that finds itself over
   * `budgetMs` when its compile ends serves the fallback for this call (counted in
   * `fallbacks`) and keeps the compiled prompt cached, so the next resolve is a fast hit.
   * Callers tell a fallback by its id (`EMBEDDED_FALLBACK_PROMPT.id` by default).
   *
   * Throws `ApiError('PROMPT_NOT_FOUND')` (404) when no manifest has the id or matches the
   * version, unless `options.fallback` asks for the fallback; `BAD_REQUEST` for a version that
   * is neither a version nor a range; `INTERNAL` when a manifest fails to compile (which
   * `parsePromptManifest` rules out).
   */
  resolve(id: string, version?: string, options?: ResolveOptions): CompiledPrompt;
  /** Empties the cache and preloads again; call it when the configuration snapshot changes. */
  invalidate(): void;
  stats(): PromptResolverStats;
}

/** The prompt-resolution step of the request path (DESIGN §5.5): configuration only, no I/O. */
export function createPromptResolver(options: PromptResolverOptions): PromptResolver {
  const now = options.now ?? (() => performance.now());
  const budgetMs = options.budgetMs ?? 15;
  const preloadCount = options.preload ?? 20;
  const cache = new TtlLruCache<CompiledPrompt>({
    maxEntries: options.maxEntries ?? 1000,
    ttlMs: options.ttlMs ?? 15 * 60_000,
  });
  const fallbackSpec = options.fallback === undefined ? EMBEDDED_FALLBACK_PROMPT : options.fallback;
  const fallback = fallbackSpec === null ? undefined : compilePrompt(fallbackSpec);
  const counts = { hits: 0, misses: 0, fallbacks: 0 };
  let catalog = options.manifests();

  function current(): PromptCatalog {
    const latest = options.manifests();
    if (latest !== catalog) {
      catalog = latest;
      cache.clear();
    }
    return latest;
  }

  /** Selects and compiles, caching under both keys; no counting, no budget. */
  function load(id: string, key: string, spec: PromptManifestSpec, at: number): CompiledPrompt {
    const compiled = compile(spec);
    const exactKey = `${id}@${spec.version}`;
    cache.set(exactKey, compiled, at);
    if (key !== exactKey) cache.set(key, compiled, at);
    return compiled;
  }

  function preload(): void {
    let remaining = preloadCount;
    const at = now();
    for (const [id, versions] of catalog) {
      if (remaining-- <= 0) break;
      const spec = selectVersion(versions, undefined);
      if (spec !== undefined) {
        try {
          load(id, id, spec, at);
        } catch {
          // Skipped here: resolving this prompt reports the error to its caller.
        }
      }
    }
  }

  function notFound(
    id: string,
    version: string | undefined,
    asked: ResolveOptions | undefined,
  ): CompiledPrompt {
    if (asked?.fallback === true && fallback !== undefined) {
      counts.fallbacks++;
      return fallback;
    }
    const versions = catalog.get(id);
    const message =
      versions === undefined
        ? `No prompt has the id ${JSON.stringify(id)}.`
        : `Prompt ${JSON.stringify(id)} has no version matching ${JSON.stringify(version)}; ` +
          `it has ${versions.map((v) => v.version).join(', ')}.`;
    throw new ApiError('PROMPT_NOT_FOUND', message, {
      details: version === undefined ? { id } : { id, version },
    });
  }

  function resolve(id: string, version?: string, asked?: ResolveOptions): CompiledPrompt {
    const started = now();
    const versions = current().get(id);
    if (versions === undefined) return notFound(id, version, asked);
    // A user in an experiment gets its version, cached under its exact key.
    const experiment =
      version === undefined ? experimentFor(id, versions, asked?.assignee) : undefined;
    if (experiment !== undefined) version = experiment.version;
    // Ids in the catalog cannot contain `@`, so this key is unambiguous.
    const key = version === undefined ? id : `${id}@${version}`;
    const cached = cache.get(key, started);
    if (cached !== undefined) {
      counts.hits++;
      return cached;
    }
    const spec = selectVersion(versions, version);
    if (spec === undefined) return notFound(id, version, asked);
    const exact = cache.get(`${id}@${spec.version}`, started);
    if (exact !== undefined) {
      counts.hits++;
      cache.set(key, exact, started);
      return exact;
    }
    counts.misses++;
    const compiled = load(id, key, spec, started);
    if (fallback !== undefined && now() - started > budgetMs) {
      counts.fallbacks++;
      return fallback;
    }
    return compiled;
  }

  preload();
  return {
    resolve,
    invalidate() {
      catalog = options.manifests();
      cache.clear();
      preload();
    },
    stats() {
      const snapshot = current();
      cache.prune(now());
      let loaded = 0;
      for (const versions of snapshot.values()) loaded += versions.length;
      return { loaded, cached: cache.size, ...counts };
    },
  };
}

function compile(spec: PromptManifestSpec): CompiledPrompt {
  try {
    return compilePrompt(spec);
  } catch (error) {
    throw new ApiError('INTERNAL', `Prompt ${spec.id}@${spec.version} failed to compile.`, {
      cause: error,
    });
  }
}
