import { CoreV1Api, KubeConfig, makeInformer, type Informer } from '@kubernetes/client-node';
import { join } from 'node:path';
import { writeVolume } from './kubelet-volume.ts';

/** One volume of a pod: a ConfigMap or Secret mounted at `path` under the projection's root. */
export interface VolumeSource {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** Relative to the root; '' for the root itself. */
  path: string;
}

/** The gateway's volumes as the operator renders them (operator/src/render/gateway.ts). */
export const GATEWAY_VOLUMES: readonly VolumeSource[] = [
  { kind: 'ConfigMap', name: 'inference-config', path: '' },
  { kind: 'ConfigMap', name: 'inference-prompts', path: 'prompts' },
  { kind: 'Secret', name: 'inference-keys', path: 'keys' },
  { kind: 'Secret', name: 'inference-credentials', path: 'credentials' },
  { kind: 'Secret', name: 'inference-upstream-tls', path: 'upstream-tls' },
];

/** What a ConfigMap or Secret carries that a volume shows. */
interface Payload {
  metadata?: { name?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** One payload swapped into a volume's folder. */
export interface VolumeWrite {
  /** `ConfigMap/inference-config`, … */
  source: string;
  /** The object's resourceVersion that was written. */
  resourceVersion: string;
  /** Date.now() once the `..data` swap was done. */
  at: number;
}

export interface Projection {
  /** Resolves once every source has been written at least once. */
  ready: Promise<void>;
  /** How many payloads each source has swapped in (unchanged payloads are not written). */
  writes(): ReadonlyMap<string, number>;
  /** Every swap, oldest first. */
  history(): readonly VolumeWrite[];
  /** Writes that failed (each is retried on the object's next change, as kubelet's next sync). */
  errors(): readonly Error[];
  stop(): Promise<void>;
}

/**
 * Plays kubelet for one pod without a kubelet: watches the ConfigMaps and Secrets of the pod's
 * volumes and writes each into its folder with kubelet's atomic `..data` swap whenever its
 * content changes. Kubelet applies a change on its next sync of the pod (up to about a minute,
 * `syncFrequency` plus the ConfigMap cache TTL); this writes it as soon as the watch delivers
 * it, so the measured delays are the operator's and the dataplane's alone. Kubelet keeps the
 * last content when a source is deleted, and so does this.
 */
export function projectVolumes(options: {
  kubeconfig: string;
  namespace: string;
  root: string;
  sources?: readonly VolumeSource[];
}): Projection {
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const sources = options.sources ?? GATEWAY_VOLUMES;
  const { namespace } = options;
  const writes = new Map<string, number>();
  const history: VolumeWrite[] = [];
  const errors: Error[] = [];
  const written = new Set<string>();
  let stopped = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  // One chain per folder: the payloads of one source are written in the order they came.
  const chains = new Map<string, Promise<void>>();

  const write = (kind: VolumeSource['kind'], object: Payload): void => {
    const source = sources.find((s) => s.kind === kind && s.name === object.metadata?.name);
    if (source === undefined || stopped) return;
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(object.data ?? {})) {
      data[key] = kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
    const key = `${kind}/${source.name}`;
    const resourceVersion = object.metadata?.resourceVersion ?? '';
    const next = (chains.get(key) ?? Promise.resolve()).then(async () => {
      try {
        if (await writeVolume(join(options.root, source.path), data)) {
          writes.set(key, (writes.get(key) ?? 0) + 1);
          history.push({ source: key, resourceVersion, at: Date.now() });
        }
        written.add(key);
        if (written.size === sources.length) markReady();
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    });
    chains.set(key, next);
  };

  const restarts: NodeJS.Timeout[] = [];
  const follow = <T extends Payload>(kind: VolumeSource['kind'], informer: Informer<T>) => {
    const onObject = (object: T) => {
      write(kind, object);
    };
    informer.on('add', onObject);
    informer.on('update', onObject);
    // client-node's informer stops on an error; start it again (it relists) unless stopping.
    informer.on('error', () => {
      if (stopped) return;
      const timer = setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, 500);
      timer.unref();
      restarts.push(timer);
    });
    void informer.start().catch(() => undefined);
    return informer;
  };
  const informers = [
    follow(
      'ConfigMap',
      makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () =>
        core.listNamespacedConfigMap({ namespace }),
      ),
    ),
    follow(
      'Secret',
      makeInformer(kc, `/api/v1/namespaces/${namespace}/secrets`, () =>
        core.listNamespacedSecret({ namespace }),
      ),
    ),
  ];

  return {
    ready,
    writes: () => writes,
    history: () => history,
    errors: () => errors,
    async stop() {
      stopped = true;
      for (const timer of restarts) clearTimeout(timer);
      await Promise.all(informers.map((informer) => informer.stop()));
      await Promise.all(chains.values());
    },
  };
}
