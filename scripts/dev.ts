/**
 * `make dev`: the whole loop on one machine. Starts the test control plane (tests/cluster),
 * a redis-server when one is installed, installs the CRDs, runs the operator as its
 * ServiceAccount, projects its ConfigMaps and Secrets into a directory the way kubelet mounts
 * them, and runs a dataplane on that directory. Applies the samples (unless DEV_SAMPLES=0),
 * then prints the kubeconfig, the dataplane URL, kubectl commands, a token and a curl to try.
 * Ctrl-C stops everything; the cluster and redis-server also end by themselves if this process
 * dies (their stdin lifelines, docs/testing.md).
 *
 * Environment: PORT (8080), DEV_NAMESPACE (inference-dev), DEV_SAMPLES (1), DEV_REDIS (1),
 * DEV_OPERATOR_LOG (warn: debug, info, warn, error, silent), DEV_DATAPLANE_LOGS (0).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '../operator/src/runtime/log.ts';
import { LOG_LEVELS } from '../operator/src/runtime/log.ts';
import {
  buildCluster,
  clusterBinary,
  kubectlBinary,
  startCluster,
  startRedis,
  type Cluster,
  type Redis,
} from '../tests/cluster/harness.ts';
import {
  CHECKSUM_ANNOTATION,
  CONTRACT,
  eventually,
  startLoop,
  type Loop,
} from '../tests/e2e/loop.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const port = Number(env['PORT'] ?? 8080);
const namespace = env['DEV_NAMESPACE'] ?? 'inference-dev';
const samples = env['DEV_SAMPLES'] !== '0';
const wantRedis = env['DEV_REDIS'] !== '0';
const operatorLog = (env['DEV_OPERATOR_LOG'] ?? 'warn') as LogLevel;
if (!LOG_LEVELS.includes(operatorLog)) {
  throw new Error(`DEV_OPERATOR_LOG must be one of ${LOG_LEVELS.join(', ')}`);
}

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const has = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let cluster: Cluster | undefined;
let redis: Redis | undefined;
let loop: Loop | undefined;
let stopping: Promise<void> | undefined;

async function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    say('\ndev: stopping the dataplane, the projection, the operator, redis and the cluster…');
    await loop?.stop({ keepNamespace: true }).catch((err: unknown) => {
      process.stderr.write(`dev: ${String(err)}\n`);
    });
    await Promise.allSettled([redis?.stop(), cluster?.stop()]);
    say('dev: stopped.');
  })();
  await stopping;
  process.exit(code);
}

process.on('SIGINT', () => {
  if (stopping !== undefined) {
    // A second Ctrl-C: the lifelines end the cluster and redis-server when this process exits.
    process.exit(130);
  }
  void stop(130);
});
process.on('SIGTERM', () => void stop(143));

try {
  if (!existsSync(clusterBinary)) {
    say('dev: building the test cluster (tests/cluster/build.sh; the first build takes minutes)…');
    await buildCluster();
  }
  say(
    'dev: starting the test cluster (kube-apiserver, etcd, controller-manager, scheduler, kwok)…',
  );
  cluster = await startCluster({ controllerManager: true, nodes: true });
  if (wantRedis && has('redis-server')) redis = await startRedis();
  say('dev: installing the CRDs, starting the operator, the projection and the dataplane…');
  loop = await startLoop({
    kubeconfig: cluster.kubeconfig,
    clusterDir: cluster.dir,
    namespace,
    port,
    operatorLogLevel: operatorLog,
    dataplaneLogs: env['DEV_DATAPLANE_LOGS'] === '1',
    ...(redis === undefined ? {} : { redisUrl: redis.url }),
  });
  if (samples) {
    await loop.kubectl([
      'create',
      'secret',
      'generic',
      'openai-credentials',
      '--from-literal=api-key=sk-dev-placeholder',
    ]);
    await loop.kubectl([
      'create',
      'secret',
      'generic',
      'tickets-mcp-token',
      '--from-literal=token=dev-placeholder',
    ]);
    await loop.kubectl(['apply', '-f', join(repo, 'crds', 'samples')]);
    const current = loop;
    await eventually(async () => {
      const config = await current.core.readNamespacedConfigMap({
        namespace,
        name: CONTRACT.config,
      });
      const ready = await current.readyz();
      const rendered = config.metadata?.annotations?.[CHECKSUM_ANNOTATION];
      return rendered !== undefined && ready.config_checksum === rendered ? true : undefined;
    }, 60_000);
  }

  const token = await loop.token({ ttlS: 12 * 3600 });
  const devDir = join(env['DEV_DIR'] ?? join(repo, '.dev'), 'loop');
  await mkdir(devDir, { recursive: true });
  const tokenFile = join(devDir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const kubectl = has('kubectl')
    ? 'kubectl'
    : relative(process.cwd(), kubectlBinary) || kubectlBinary;
  const ready = await loop.readyz();

  say();
  say(`Kubeconfig (admin):  ${cluster.kubeconfig}`);
  say(
    `Dataplane:           ${loop.url}   (readyz: ${ready.status === 200 ? 'ready' : 'not ready'}, routes: ${ready.routes.join(', ') || 'none'})`,
  );
  say(`Config directory:    ${loop.root}   (kubelet-style projection of namespace ${namespace})`);
  say(`Redis:               ${redis?.url ?? 'none (in-memory stream store)'}`);
  say();
  say('In another shell:');
  say(`  export KUBECONFIG=${cluster.kubeconfig}`);
  say(
    `  ${kubectl} -n ${namespace} get providerroutes,promptmanifests,tenantbudgets,inferencemodels,mcpgateways`,
  );
  say(`  ${kubectl} -n ${namespace} get configmap ${CONTRACT.config} -o yaml`);
  say(`  ${kubectl} -n ${namespace} apply -f crds/samples/`);
  say(`  ${kubectl} -n ${namespace} edit providerroute chat      # e.g. model: fixed?text=hello`);
  say(`  curl -s ${loop.url}/readyz`);
  say();
  say(`Token (tenant acme, 12 h; also in ${relative(process.cwd(), tokenFile)}):`);
  say(`  export TOKEN=${token}`);
  say('Try:');
  say(
    `  curl -s ${loop.url}/api/v1/inference -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H 'x-request-id: dev-1' -d '{"model":"chat","messages":[{"role":"user","content":"hello from make dev"}]}'`,
  );
  say(
    `  curl -sN ${loop.url}/api/v1/inference:stream -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H 'x-request-id: dev-2' -d '{"prompt":{"id":"support-triage","variables":{"product":"Widget","message":"refund please"}}}'`,
  );
  say();
  say('Ctrl-C stops everything.');
} catch (err) {
  process.stderr.write(`dev: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stop(1);
}
