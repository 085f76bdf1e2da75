/**
 * One resource type watched in several namespaces (or all of them) behind one cache: an
 * informer per watched namespace, read as one.
 */
import type { Cache, ChangeHandler, IndexFunction, InformerOptions } from './informer.ts';
import { Informer } from './informer.ts';
import type { KubeObject } from './objects.ts';
import type { ResourceType } from './resources.ts';

export class InformerSet<T extends KubeObject = KubeObject> implements Cache<T> {
  readonly type: ResourceType;
  readonly informers: readonly Informer<T>[];

  /** namespaces empty: one informer across all namespaces. */
  constructor(options: Omit<InformerOptions, 'namespace'>, namespaces: readonly string[]) {
    this.type = options.type;
    this.informers =
      namespaces.length === 0
        ? [new Informer<T>(options)]
        : namespaces.map((namespace) => new Informer<T>({ ...options, namespace }));
  }

  #for(namespace: string): Informer<T> | undefined {
    return this.informers.find((i) => i.namespace === undefined || i.namespace === namespace);
  }

  get(namespace: string, name: string): T | undefined {
    return this.#for(namespace)?.get(namespace, name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return this.#for(namespace)?.list(namespace) ?? [];
    return this.informers.flatMap((i) => i.list());
  }

  byIndex(index: string, value: string): T[] {
    return this.informers.flatMap((i) => i.byIndex(index, value));
  }

  on(handler: ChangeHandler<T>): void {
    for (const informer of this.informers) informer.on(handler);
  }

  addIndex(name: string, fn: IndexFunction<T>): void {
    for (const informer of this.informers) informer.addIndex(name, fn);
  }

  get hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
