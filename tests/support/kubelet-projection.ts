import {
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Secret,
} from '@kubernetes/client-node';
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
];

export interface Projection {
  /** Resolves once every source has been written at least once. */
  ready: Promise<void>;
  /** How many times each source was written (for tests that wait on a change). */
  writes(): ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

/**
 * Plays kubelet for one pod without a kubelet: watches the ConfigMaps and Secrets of the pod's
 * volumes and writes each into its folder with kubelet's atomic `..data` swap whenever it
 * changes. (Kubelet also keeps the last content when a source is deleted, and so does this.)
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
  let pending = sources.length;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let chain = Promise.resolve();

  const write = (kind: VolumeSource['kind'], object: V1ConfigMap | V1Secret) => {
    const source = sources.find((s) => s.kind === kind && s.name === object.metadata?.name);
    if (source === undefined) return;
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(object.data ?? {})) {
      data[key] = kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
    chain = chain.then(async () => {
      await writeVolume(join(options.root, source.path), data);
      const key = `${kind}/${source.name}`;
      if (!writes.has(key) && --pending === 0) markReady();
      writes.set(key, (writes.get(key) ?? 0) + 1);
    });
  };

  const informers: Informer<KubernetesObject>[] = [
    makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace }),
    ) as Informer<KubernetesObject>,
    makeInformer(kc, `/api/v1/namespaces/${namespace}/secrets`, () =>
      core.listNamespacedSecret({ namespace }),
    ) as Informer<KubernetesObject>,
  ];
  const kinds = ['ConfigMap', 'Secret'] as const;
  informers.forEach((informer, index) => {
    const kind = kinds[index] ?? 'ConfigMap';
    const onObject = (object: KubernetesObject) => {
      write(kind, object as V1ConfigMap);
    };
    informer.on('add', onObject);
    informer.on('update', onObject);
    informer.on('error', () => {
      setTimeout(() => void informer.start(), 500).unref();
    });
    void informer.start();
  });

  return {
    ready,
    writes: () => writes,
    async stop() {
      await Promise.all(informers.map((informer) => informer.stop()));
      await chain;
    },
  };
}
