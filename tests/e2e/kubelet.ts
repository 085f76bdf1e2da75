/**
 * A kubelet for the model-server pods of one namespace: the test cluster's nodes are
 * simulated (kwok moves pods to Running and Ready with nothing behind them), except in the
 * namespace `kubelet-e2e`, which kwok leaves alone (tests/cluster/kwok/pod-ready.yaml). There,
 * this stand-in runs each model-server pod bound to a node as a real process (other pods, such
 * as the gateway's, stay Pending), with the pod's command and
 * environment, its ConfigMap volumes projected into a directory (and kept in sync, as the
 * kubelet does with a symlink swap), and its memory limit as the limit of a cgroup v1 memory
 * cgroup of its own where this machine has one (`memoryLimited` says whether it did; CPU limits
 * are not enforced). It writes the pod's status: an address of its own (10.244.250.x, never
 * routed), Running, and Ready from the readiness probe (`GET /readyz`); a pod being deleted is
 * stopped with SIGTERM and removed once its process exits (the drain). Its `fetch` is the pod
 * network: a URL with a pod's address goes to that pod's process on loopback; any other is
 * refused, so nothing leaves the machine. `serviceFetch` adds kube-proxy: a URL with a Service's
 * cluster name goes to one of the Service's ready endpoints, from its EndpointSlices.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseQuantity } from '../../operator/src/render/quantity.ts';
import { spawnModelServer, type ModelServerProcess } from '../model-server/process.ts';
import { createMemoryCgroup, memoryCgroupParent } from '../support/memory-cgroup.ts';

export const KUBELET_NAMESPACE = 'kubelet-e2e';

export interface RunningPod {
  name: string;
  ip: string;
  startedAt: string;
  process: ModelServerProcess;
  ready: boolean;
  /** Whether its memory limit is enforced (a cgroup of its own). */
  memoryLimited: boolean;
  /** The projected ConfigMap volumes: mount path → local directory and its ConfigMap. */
  volumes: { mountPath: string; dir: string; configMap: string; text: string }[];
  stopping?: Promise<number | null>;
}

export interface Kubelet {
  /** The pods it runs now, by name. */
  readonly pods: ReadonlyMap<string, RunningPod>;
  /** The pod network: pod addresses to their processes. */
  fetch: typeof fetch;
  /** kube-proxy: `http://<service>.<namespace>.svc:<port>/...` to a ready endpoint's process. */
  serviceFetch: typeof fetch;
  /** Every process it started and how it ended, for the assertions on drains. */
  readonly exits: { pod: string; code: number | null }[];
  stop(): Promise<void>;
}

export interface KubeletOptions {
  kc: KubeConfig;
  /** Extra environment of every process (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** How often pods, ConfigMaps and readiness are looked at. @default 200 */
  everyMs?: number;
}

export async function startKubelet(options: KubeletOptions): Promise<Kubelet> {
  const core = options.kc.makeApiClient(CoreV1Api);
  const discovery = options.kc.makeApiClient(DiscoveryV1Api);
  const namespace = KUBELET_NAMESPACE;
  const work = await mkdtemp(join(tmpdir(), 'kubelet-'));
  const pods = new Map<string, RunningPod>();
  const exits: { pod: string; code: number | null }[] = [];
  let nextIp = 1;
  let stopped = false;

  const patchStatus = (name: string, status: object) =>
    core.patchNamespacedPodStatus(
      { namespace, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  const statusOf = (pod: RunningPod) => {
    const startedAt = pod.startedAt;
    const ready = pod.ready ? 'True' : 'False';
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      phase: 'Running',
      hostIP: '10.244.250.0',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: startedAt,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: startedAt },
        { type: 'Initialized', status: 'True', lastTransitionTime: startedAt },
        { type: 'ContainersReady', status: ready, lastTransitionTime: now },
        { type: 'Ready', status: ready, lastTransitionTime: now },
      ],
      containerStatuses: [
        {
          name: 'model-server',
          image: 'inference-service/dataplane',
          imageID: '',
          ready: pod.ready,
          started: true,
          restartCount: 0,
          state: { running: { startedAt } },
        },
      ],
    };
  };

  async function project(v: RunningPod['volumes'][number]): Promise<void> {
    const configMap = await core
      .readNamespacedConfigMap({ namespace, name: v.configMap })
      .catch(() => undefined);
    const data = configMap?.data ?? {};
    const text = JSON.stringify(data);
    if (text === v.text) return;
    v.text = text;
    for (const [key, value] of Object.entries(data)) {
      const temp = join(v.dir, `.${key}.tmp`);
      await writeFile(temp, value);
      await rename(temp, join(v.dir, key));
    }
  }

  async function start(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const container = pod.spec?.containers[0];
    if (container === undefined) return;
    const volumes: RunningPod['volumes'] = [];
    for (const mount of container.volumeMounts ?? []) {
      const source = pod.spec?.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
      if (source === undefined) continue;
      const dir = await mkdtemp(join(work, `${name}-`));
      volumes.push({ mountPath: mount.mountPath, dir, configMap: source, text: '' });
    }
    for (const v of volumes) await project(v);
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      let value = variable.value ?? '';
      for (const v of volumes) {
        if (value.startsWith(`${v.mountPath}/`)) value = v.dir + value.slice(v.mountPath.length);
      }
      env[variable.name] = value;
    }
    const limit = parseQuantity(container.resources?.limits?.['memory']);
    const cgroup =
      limit === undefined || memoryCgroupParent === undefined
        ? undefined
        : await createMemoryCgroup(`kubelet-${String(globalThis.process.pid)}-${name}`, limit);
    // The pod listens on its own address in a cluster; here, on loopback at a free port.
    const process = await spawnModelServer(
      { ...env, HOST: '127.0.0.1', PORT: '0', ...options.env },
      cgroup?.prefix,
    );
    void process.exited.then(() => cgroup?.remove());
    const running: RunningPod = {
      name,
      ip: `10.244.250.${String(nextIp++)}`,
      startedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      process,
      ready: false,
      memoryLimited: cgroup !== undefined,
      volumes,
    };
    pods.set(name, running);
    void process.exited.then((code) => exits.push({ pod: name, code }));
    await patchStatus(name, statusOf(running));
  }

  async function sync(): Promise<void> {
    const list = await core.listNamespacedPod({ namespace });
    const seen = new Set<string>();
    for (const pod of list.items) {
      const name = pod.metadata?.name ?? '';
      seen.add(name);
      const running = pods.get(name);
      if (pod.metadata?.deletionTimestamp !== undefined) {
        if (running === undefined) {
          await core
            .deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 })
            .catch(() => undefined);
        } else {
          running.stopping ??= running.process.stop().then(async (code) => {
            pods.delete(name);
            await core
              .deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 })
              .catch(() => undefined);
            return code;
          });
        }
        continue;
      }
      if (running === undefined) {
        const modelServer =
          pod.metadata?.labels?.['app.kubernetes.io/component'] === 'model-server';
        if (modelServer && pod.spec?.nodeName !== undefined) await start(pod);
        continue;
      }
      for (const v of running.volumes) await project(v);
      const ready = await fetch(`${running.process.url}/readyz`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ready !== running.ready) {
        running.ready = ready;
        await patchStatus(name, statusOf(running));
      }
    }
    // A pod deleted at once (grace period 0): its process goes too.
    for (const [name, running] of pods) {
      if (!seen.has(name)) running.stopping ??= running.process.stop();
    }
  }

  let loop: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    loop = loop
      .then(() => (stopped ? undefined : sync()))
      .catch((error: unknown) => {
        if (!stopped) console.warn(`kubelet stand-in: ${(error as Error).message}`);
      });
  }, options.everyMs ?? 200);

  const podFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const pod = [...pods.values()].find((p) => p.ip === url.hostname);
    if (pod === undefined) throw new TypeError(`fetch failed: no pod at ${url.hostname}`);
    const local = new URL(url.pathname + url.search, pod.process.url);
    return fetch(local, init);
  };

  // What kube-proxy programs: a Service's ready endpoints, read again every 100 ms.
  const endpoints = new Map<string, { at: number; ips: Promise<string[]> }>();
  const readyEndpoints = (ns: string, service: string): Promise<string[]> => {
    const key = `${ns}/${service}`;
    const cached = endpoints.get(key);
    if (cached !== undefined && Date.now() - cached.at < 100) return cached.ips;
    const ips = discovery
      .listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: `kubernetes.io/service-name=${service}`,
      })
      .then((slices) =>
        slices.items.flatMap((slice) =>
          (slice.endpoints ?? [])
            .filter((e) => e.conditions?.ready !== false)
            .flatMap((e) => e.addresses),
        ),
      );
    endpoints.set(key, { at: Date.now(), ips });
    return ips;
  };

  const serviceFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const [service = '', ns = namespace] = url.hostname.split('.');
    const ready = await readyEndpoints(ns, service);
    const ip = ready[Math.floor(Math.random() * ready.length)];
    if (ip === undefined) throw new TypeError(`fetch failed: ${service} has no endpoints`);
    return podFetch(`http://${ip}${url.pathname}${url.search}`, init);
  };

  return {
    pods,
    fetch: podFetch,
    serviceFetch,
    exits,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await loop;
      await Promise.all([...pods.values()].map((p) => p.stopping ?? p.process.stop()));
      await rm(work, { recursive: true, force: true });
    },
  };
}
