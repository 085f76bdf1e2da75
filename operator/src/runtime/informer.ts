/**
 * An informer: list, then watch from the list's resourceVersion, keeping a cache of every
 * object and calling handlers on each change. A watch that expires (410 Gone: the API server
 * no longer holds the history since our resourceVersion) is answered with a fresh list, which
 * is diffed against the cache: objects whose resourceVersion is unchanged produce no event, so
 * nothing is lost (changes and deletions in the gap become events) and nothing is duplicated.
 * Bookmarks are requested so the resourceVersion stays fresh on quiet resources.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, type KubeClient } from './kube-client.ts';
import type { Logger } from './log.ts';
import type { OperatorMetrics } from './metrics.ts';
import { objectKey, type KubeObject } from './objects.ts';
import type { ResourceType } from './resources.ts';

export type ChangeType = 'added' | 'updated' | 'deleted';
export type ChangeHandler<T extends KubeObject> = (type: ChangeType, object: T, old?: T) => void;
/** Values under which an object is indexed (e.g. the Secrets it references). */
export type IndexFunction<T extends KubeObject> = (object: T) => readonly string[];

export interface InformerOptions {
  client: KubeClient;
  type: ResourceType;
  /** Watch one namespace; undefined watches all. */
  namespace?: string;
  labelSelector?: string;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Page size of lists. @default 500 */
  pageSize?: number;
  /** Server-side watch timeout, randomised up to twice this. @default 300 */
  watchTimeoutSeconds?: number;
}

/** Reading side of an informer (or of several, one per namespace). */
export interface Cache<T extends KubeObject = KubeObject> {
  readonly type: ResourceType;
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  byIndex(index: string, value: string): T[];
  on(handler: ChangeHandler<T>): void;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export class Informer<T extends KubeObject = KubeObject> implements Cache<T> {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly #options: InformerOptions;
  readonly #cache = new Map<string, T>();
  readonly #handlers: ChangeHandler<T>[] = [];
  readonly #indexers = new Map<string, IndexFunction<T>>();
  readonly #indices = new Map<string, Map<string, Set<string>>>();
  #resourceVersion: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  #synced: Promise<void>;
  #markSynced!: () => void;
  #failSync!: (err: Error) => void;
  #hasSynced = false;
  #errorDelayMs = 0;

  constructor(options: InformerOptions) {
    this.#options = options;
    this.type = options.type;
    this.namespace = options.namespace;
    this.#synced = new Promise((resolve, reject) => {
      this.#markSynced = resolve;
      this.#failSync = reject;
    });
    this.#synced.catch(() => undefined);
  }

  /** Adds a handler; it sees every change from now on (not the objects already cached). */
  on(handler: ChangeHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** Adds an index; call before start(). */
  addIndex(name: string, fn: IndexFunction<T>): void {
    this.#indexers.set(name, fn);
    this.#indices.set(name, new Map());
  }

  get(namespace: string, name: string): T | undefined {
    return this.#cache.get(`${namespace}/${name}`);
  }

  /** Cached objects, all or one namespace's. */
  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /** Cached objects whose index function returned value. */
  byIndex(index: string, value: string): T[] {
    const keys = this.#indices.get(index)?.get(value);
    if (keys === undefined) return [];
    return [...keys].flatMap((key) => {
      const object = this.#cache.get(key);
      return object === undefined ? [] : [object];
    });
  }

  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** The resourceVersion the next watch resumes from; undefined before the first list. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Starts listing and watching; resolves once the first list is cached. */
  start(): Promise<void> {
    this.#running ??= this.#run();
    return this.#synced;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#failSync(new Error('Informer stopped before it synced.'));
    await this.#running;
  }

  // --- the list/watch loop ----------------------------------------------------------------

  async #run(): Promise<void> {
    let reason: 'initial' | 'expired' | 'error' = 'initial';
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) {
          await this.#relist(reason);
          this.#errorDelayMs = 0;
        }
        const expired = await this.#watch();
        if (expired) {
          reason = 'expired';
          this.#resourceVersion = undefined;
        }
        this.#errorDelayMs = 0;
      } catch (err) {
        if (this.#isStopped()) break;
        if (err instanceof ApiError && err.code === 410) {
          reason = 'expired';
          this.#resourceVersion = undefined;
          continue;
        }
        // A failed list retries the list; a failed watch resumes from the last version.
        if (this.#resourceVersion === undefined)
          reason = reason === 'initial' ? 'initial' : 'error';
        this.#errorDelayMs = Math.min(
          30_000,
          this.#errorDelayMs === 0 ? 500 : this.#errorDelayMs * 2,
        );
        this.#options.logger.warn('Lost watch', {
          resource: this.type.plural,
          namespace: this.namespace,
          error: err,
          retryInMs: this.#errorDelayMs,
        });
        await this.#sleep(this.#errorDelayMs);
      }
    }
  }

  /** Read through a method: stop() flips it while the loop awaits. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  async #relist(reason: 'initial' | 'expired' | 'error'): Promise<void> {
    const { client, namespace, labelSelector, pageSize = 500, metrics } = this.#options;
    metrics.informerRelists.inc({ resource: this.type.plural, reason });
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await client.list<T>(this.type, namespace, {
        ...(labelSelector === undefined ? {} : { labelSelector }),
        limit: pageSize,
        ...(continueToken === undefined ? {} : { continue: continueToken }),
      });
      for (const item of page.items) {
        // Lists leave apiVersion and kind off the items.
        fresh.set(objectKey(item), {
          ...item,
          apiVersion: item.apiVersion ?? apiVersion(this.type),
          kind: item.kind ?? this.type.kind,
        });
      }
      continueToken = page.metadata.continue === '' ? undefined : page.metadata.continue;
      resourceVersion = page.metadata.resourceVersion;
    } while (continueToken !== undefined);
    if (reason !== 'initial') {
      this.#options.logger.info('Relisted after the watch expired', {
        resource: this.type.plural,
        namespace: this.namespace,
        reason,
      });
    }
    for (const [key, old] of this.#cache) {
      if (!fresh.has(key)) this.#delete(old);
    }
    for (const object of fresh.values()) this.#upsert(object);
    this.#resourceVersion = resourceVersion;
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
  }

  /** Watches until the server ends the stream; resolves true when the watch expired (410). */
  async #watch(): Promise<boolean> {
    const { client, namespace, labelSelector, watchTimeoutSeconds = 300 } = this.#options;
    const timeout = Math.round(watchTimeoutSeconds * (1 + Math.random()));
    const abort = new AbortController();
    this.#abort = abort;
    // A silent connection (no bytes, not even a bookmark) is dropped after the server timeout.
    let idle = setTimeout(
      () => {
        abort.abort();
      },
      (timeout + 30) * 1000,
    );
    let stream: IncomingMessage | undefined;
    try {
      stream = await client.watch(
        this.type,
        namespace,
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeout),
          labelSelector,
        },
        abort.signal,
      );
      let buffered = '';
      for await (const chunk of stream) {
        clearTimeout(idle);
        idle = setTimeout(
          () => {
            abort.abort();
          },
          (timeout + 30) * 1000,
        );
        buffered += (chunk as Buffer).toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line === '') continue;
          if (this.#handleEvent(JSON.parse(line) as WatchEvent)) return true;
        }
      }
      return false;
    } catch (err) {
      if (abort.signal.aborted && !this.#stopped) return false; // idle guard: watch again
      throw err;
    } finally {
      clearTimeout(idle);
      stream?.destroy();
    }
  }

  /** Applies one watch event; returns true when the event says the watch expired. */
  #handleEvent(event: WatchEvent): boolean {
    const object = event.object;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#upsert(object as T);
        break;
      case 'DELETED':
        this.#delete(object as T);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR':
        if (object.code === 410) return true;
        throw new ApiError(
          object.code ?? 500,
          object.reason ?? 'Unknown',
          object.message ?? 'watch error',
        );
    }
    this.#resourceVersion = object.metadata.resourceVersion ?? this.#resourceVersion;
    return false;
  }

  #upsert(object: T): void {
    // managedFields are often the larger part of an object and nothing here reads them (as
    // client-go's TransformStripManagedFields): dropping them keeps the cache small.
    delete (object.metadata as { managedFields?: unknown }).managedFields;
    const key = objectKey(object);
    const old = this.#cache.get(key);
    if (old !== undefined && old.metadata.resourceVersion === object.metadata.resourceVersion)
      return;
    this.#cache.set(key, object);
    this.#reindex(key, old, object);
    this.#emit(old === undefined ? 'added' : 'updated', object, old);
  }

  #delete(object: T): void {
    const key = objectKey(object);
    const old = this.#cache.get(key);
    if (old === undefined) return;
    this.#cache.delete(key);
    this.#reindex(key, old, undefined);
    this.#emit('deleted', object, old);
  }

  #reindex(key: string, old: T | undefined, current: T | undefined): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name);
      if (index === undefined) continue;
      for (const value of old === undefined ? [] : fn(old)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
      for (const value of current === undefined ? [] : fn(current)) {
        let keys = index.get(value);
        if (keys === undefined) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  #emit(type: ChangeType, object: T, old?: T): void {
    this.#options.metrics.informerEvents.inc({ resource: this.type.plural, type });
    for (const handler of this.#handlers) {
      try {
        handler(type, object, old);
      } catch (err) {
        this.#options.logger.error('Failed to handle a change', {
          resource: this.type.plural,
          error: err,
        });
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const abort = new AbortController();
      this.#abort = abort;
      abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function apiVersion(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}
