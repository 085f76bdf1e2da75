/**
 * Operator scale (docs/benchmarks.md, "Operator scale"): on a test control plane of our own
 * (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, one kwok node), how long
 * N InferenceModels take to reach Ready through the operator, side by side with the baseline of
 * the same N Deployments and Services created directly (how fast this control plane on this
 * machine makes them Available at all); then the API writes one no-op resync sends (SIGHUP),
 * and the operator's RSS and CPU.
 *
 *   node bench/operator-scale.ts [--models 1000] [--concurrency 4] [--qps 50] [--burst 100]
 *
 * The operator runs as its own process (`node operator/src/main.ts`), so its RSS and CPU are
 * its own; figures come from its /metrics. Raw results: bench/results/operator-scale-*.json.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { buildCluster, startCluster, type Cluster } from '../tests/cluster/harness.ts';
import { machineLine } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    qps: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
  },
});
const N = Number(args.models);
const POLL_MS = 2000;
const GROUP = 'inference.enis.io';
const VERSION = 'v1alpha1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Runs fn over items, `width` at a time. */
async function pool<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** Prometheus text → samples, summed over the label sets that match. */
function metric(
  text: string,
  name: string,
  match: (labels: string) => boolean = () => true,
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (m !== null && match(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

async function main(): Promise<void> {
  console.log(await machineLine());
  console.log(
    `operator-scale: ${N} InferenceModels, operator concurrency ${args.concurrency}, API qps ${args.qps} burst ${args.burst}`,
  );
  await buildCluster();
  const started = Date.now();
  const cluster: Cluster = await startCluster({ controllerManager: true, nodes: true });
  console.log(`cluster up in ${seconds(Date.now() - started)}`);
  let operator: ReturnType<typeof spawn> | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const objects = kc.makeApiClient(CustomObjectsApi);
    const extensions = kc.makeApiClient(ApiextensionsV1Api);

    for (const file of [
      'inferencemodels',
      'promptmanifests',
      'providerroutes',
      'tenantbudgets',
      'mcpgateways',
    ]) {
      const crd = parse(
        await readFile(new URL(`../crds/generated/${file}.${GROUP}.yaml`, import.meta.url), 'utf8'),
      ) as V1CustomResourceDefinition;
      await extensions.patchCustomResourceDefinition(
        { name: crd.metadata!.name!, body: crd, fieldManager: 'bench', force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    }
    await sleep(2000); // Established
    // The test cluster's service range is a /24 (254 ClusterIPs); 2N Services need more. A second
    // ServiceCIDR (networking.k8s.io/v1, GA since 1.33) extends it.
    await kc.makeApiClient(NetworkingV1Api).createServiceCIDR({
      body: { metadata: { name: 'bench' }, spec: { cidrs: ['10.96.0.0/16'] } },
    });
    await sleep(2000); // the ServiceCIDR becomes Ready

    const names = Array.from({ length: N }, (_, i) => `model-${String(i).padStart(4, '0')}`);
    const labels = (name: string) => ({ app: name });
    const container = {
      name: 'server',
      image: 'inference-service/fake:1',
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
    };

    // --- baseline: the same Deployments and Services, created directly --------------------
    const direct = 'bench-direct';
    await core.createNamespace({ body: { metadata: { name: direct } } });
    const d0 = Date.now();
    await pool(names, 16, async (name) => {
      await apps.createNamespacedDeployment({
        namespace: direct,
        body: {
          metadata: { name },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels(name) },
            template: { metadata: { labels: labels(name) }, spec: { containers: [container] } },
          },
        },
      });
      await core.createNamespacedService({
        namespace: direct,
        body: {
          metadata: { name },
          spec: { selector: labels(name), ports: [{ port: 8080, targetPort: 8080 }] },
        },
      });
    });
    const directCreated = Date.now() - d0;
    for (;;) {
      const list = await apps.listNamespacedDeployment({ namespace: direct });
      const available = list.items.filter((d) => (d.status?.availableReplicas ?? 0) >= 1).length;
      if (available >= N) break;
      await sleep(POLL_MS);
    }
    const directReady = Date.now() - d0;
    console.log(
      `baseline: ${N} Deployments + Services created in ${seconds(directCreated)}, all Available after ${seconds(directReady)}`,
    );

    // --- the operator ----------------------------------------------------------------------
    const namespace = 'bench-operator';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const metricsPort = await freePort();
    const healthPort = await freePort();
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'jwk',
    });
    operator = spawn(
      process.execPath,
      [new URL('../operator/src/main.ts', import.meta.url).pathname],
      {
        env: {
          ...process.env,
          KUBECONFIG: cluster.kubeconfig,
          INFERENCE_WATCH_NAMESPACES: namespace,
          INFERENCE_LEASE_NAMESPACE: namespace,
          INFERENCE_AUTH_JWKS: JSON.stringify({ keys: [{ ...jwk, kid: 'bench' }] }),
          INFERENCE_HEALTH_PORT: String(healthPort),
          INFERENCE_METRICS_PORT: String(metricsPort),
          INFERENCE_BIND_ADDRESS: '127.0.0.1',
          INFERENCE_RESYNC_MS: '0',
          INFERENCE_CONCURRENCY: args.concurrency,
          INFERENCE_API_QPS: args.qps,
          INFERENCE_API_BURST: args.burst,
          INFERENCE_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await sleep(200);
    }
    const baseline = await scrape();
    const rssStart = metric(baseline, 'process_resident_memory_bytes');

    const t0 = Date.now();
    await pool(names, 16, (name) =>
      objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'inferencemodels',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'InferenceModel',
          metadata: { name },
          spec: {
            runtime: 'onnx',
            source: { uri: `hf://bench/${name}`, checksum: `sha256:${'0'.repeat(64)}` },
            modelBytes: 100 * 2 ** 20,
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
            replicas: 1,
            version: 'v1',
          },
        },
      }),
    );
    const created = Date.now() - t0;
    let rssPeak = rssStart;
    let ready = 0;
    for (;;) {
      const list = (await objects.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'inferencemodels',
      })) as {
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      };
      ready = list.items.filter((m) =>
        m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      rssPeak = Math.max(rssPeak, metric(await scrape(), 'process_resident_memory_bytes'));
      if (ready >= N) break;
      process.stdout.write(`\r  ${ready}/${N} Ready after ${seconds(Date.now() - t0)}   `);
      await sleep(POLL_MS);
    }
    const allReady = Date.now() - t0;
    process.stdout.write('\n');

    /** Waits until no key is queued and the reconcile count stands still for 3 s. */
    const settle = async (): Promise<string> => {
      let last = -1;
      let stillSince = Date.now();
      for (;;) {
        const text = await scrape();
        const reconciles = metric(text, 'inference_operator_reconcile_total');
        const depth = metric(text, 'inference_operator_workqueue_depth');
        if (reconciles !== last || depth > 0) {
          last = reconciles;
          stillSince = Date.now();
        } else if (Date.now() - stillSince > 3000) return text;
        await sleep(500);
      }
    };
    const writesOf = (text: string) =>
      metric(text, 'inference_operator_api_writes_total', (l) => !l.includes('resource="leases"'));
    const settled = await settle();
    const afterCreate = {
      writes: writesOf(settled),
      requests: metric(
        settled,
        'inference_operator_api_requests_total',
        (l) => !l.includes('resource="leases"'),
      ),
      reconciles: metric(settled, 'inference_operator_reconcile_total'),
      cpuSeconds: metric(settled, 'process_cpu_seconds_total'),
      rss: metric(settled, 'process_resident_memory_bytes'),
      heapUsed: metric(settled, 'nodejs_heap_size_used_bytes'),
      heapTotal: metric(settled, 'nodejs_heap_size_total_bytes'),
      relists: metric(
        settled,
        'inference_operator_informer_relists_total',
        (l) => !l.includes('reason="initial"'),
      ),
      writesByResource: Object.fromEntries(
        [
          'deployments',
          'services',
          'configmaps',
          'secrets',
          'networkpolicies',
          'events',
          'inferencemodels',
        ].map((r): [string, number] => [
          r,
          metric(settled, 'inference_operator_api_writes_total', (l) =>
            l.includes(`resource="${r}"`),
          ),
        ]),
      ),
    };

    // --- a no-op resync --------------------------------------------------------------------
    const r0 = Date.now();
    operator.kill('SIGHUP');
    for (;;) {
      const text = await scrape();
      if (metric(text, 'inference_operator_reconcile_total') >= afterCreate.reconciles + N) break;
      await sleep(200);
    }
    const resynced = await settle();
    const resyncMs = Date.now() - r0 - 3000;
    const resync = {
      writes: writesOf(resynced) - afterCreate.writes,
      reconciles: metric(resynced, 'inference_operator_reconcile_total') - afterCreate.reconciles,
      cpuSeconds: metric(resynced, 'process_cpu_seconds_total') - afterCreate.cpuSeconds,
    };

    const result = {
      models: N,
      settings: {
        concurrency: Number(args.concurrency),
        qps: Number(args.qps),
        burst: Number(args.burst),
      },
      baseline: { createdMs: directCreated, availableMs: directReady },
      operator: {
        createdMs: created,
        allReadyMs: allReady,
        ratioToBaseline: allReady / directReady,
        writes: afterCreate.writes,
        writesPerModel: afterCreate.writes / N,
        writesByResource: afterCreate.writesByResource,
        requests: afterCreate.requests,
        reconciles: afterCreate.reconciles,
        cpuSeconds: afterCreate.cpuSeconds,
        rssStartBytes: rssStart,
        rssPeakBytes: rssPeak,
        rssSettledBytes: afterCreate.rss,
        heapUsedSettledBytes: afterCreate.heapUsed,
        heapTotalSettledBytes: afterCreate.heapTotal,
        relistsAfterStart: afterCreate.relists,
      },
      noOpResync: { ...resync, durationMs: resyncMs },
    };
    const breakdown = Object.entries(afterCreate.writesByResource)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
    console.log(`
| figure | value |
| --- | --- |
| baseline: ${N} Deployments + Services created directly, all Available | ${seconds(directReady)} (created in ${seconds(directCreated)}) |
| ${N} InferenceModels created, all Ready through the operator | ${seconds(allReady)} (created in ${seconds(created)}) |
| ratio operator / baseline | ${result.operator.ratioToBaseline.toFixed(2)} |
| API writes to reach Ready (leases excluded) | ${afterCreate.writes} (${result.operator.writesPerModel.toFixed(2)} per model: ${breakdown}) |
| API requests to reach Ready (leases excluded) | ${afterCreate.requests} |
| reconciles to reach Ready | ${afterCreate.reconciles} |
| operator CPU to reach Ready | ${afterCreate.cpuSeconds.toFixed(1)} s |
| **API writes in one no-op resync** | **${resync.writes}** (${resync.reconciles} reconciles, ${resync.cpuSeconds.toFixed(1)} s CPU, ${seconds(resyncMs)}) |
| operator RSS: started / peak / settled with ${N} models | ${mib(rssStart)} / ${mib(rssPeak)} / ${mib(afterCreate.rss)} (V8 heap ${mib(afterCreate.heapUsed)} used of ${mib(afterCreate.heapTotal)}) |
`);
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    const out = new URL(
      `./results/operator-scale-${new Date().toISOString().replaceAll(':', '-')}.json`,
      import.meta.url,
    );
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`raw results: ${out.pathname}`);
  } finally {
    if (operator !== undefined && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await once(operator, 'exit');
    }
    await cluster.stop();
  }
}

await main();
