/**
 * vitest global setup: one real redis-server and one test control plane per test run, their
 * addresses exported as REDIS_URL and KUBECONFIG, both stopped when the run ends (pass or fail).
 * INFERENCE_TEST_CLUSTER=off skips the cluster for a fast loop over dataplane tests.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, startRedis } from '../cluster/harness.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  process.env['REDIS_URL'] = redis.url;
  project.provide('redisUrl', redis.url);
  const wantCluster = process.env['INFERENCE_TEST_CLUSTER'] !== 'off';
  const cluster = wantCluster
    ? await startCluster({ controllerManager: true, nodes: true })
    : undefined;
  if (cluster !== undefined) {
    process.env['KUBECONFIG'] = cluster.kubeconfig;
    project.provide('kubeconfig', cluster.kubeconfig);
    project.provide('clusterDir', cluster.dir);
  }
  return async () => {
    await Promise.allSettled([redis.stop(), cluster?.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    kubeconfig: string;
    clusterDir: string;
  }
}
