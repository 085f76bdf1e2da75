// A watch that expires (410 Gone) is relisted without losing or duplicating work.
//
// How a watch expires for real: the operator talks to the API server through a TCP proxy that
// the test cuts; while the operator is partitioned, the kind's CRD is updated, which makes the
// API server rebuild the kind's storage and watch cache from the current resourceVersion. When
// the network comes back, the operator's watch resumes from the resourceVersion it last saw,
// which is now older than anything the cache holds: "410 Gone: too old resource version".
// (Without the partition, the bookmark the API server sends as it closes the watches keeps the
// operator's resourceVersion current, and no relist is needed.)
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorHandle } from '../src/operator.ts';
import {
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  deleteResource,
  eventually,
  getResource,
  installCrds,
  kc,
  newNamespace,
  operatorIdentity,
  startTestOperator,
  waitForCondition,
} from './support.ts';

const extensions = kc.makeApiClient(ApiextensionsV1Api);
let namespace: string;
/** A namespace where nothing changes during the partition: its relist must change nothing. */
let quiet: string;
let operator: OperatorHandle;
let proxy: Awaited<ReturnType<typeof startProxy>>;

/** A TCP proxy to the API server that can cut every connection and refuse new ones. */
async function startProxy(target: URL) {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      open = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const route = (name: string) => ({
  kind: 'ProviderRoute',
  metadata: { name },
  spec: { alias: name, targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
});

async function metric(
  name: 'informerRelists' | 'informerEvents',
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await operator.metrics[name].get();
  return values
    .filter((v) => {
      const got = v.labels as Record<string, string | number | undefined>;
      return Object.entries(labels).every(([k, value]) => got[k] === value);
    })
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('expiry');
  quiet = await newNamespace('quiet');
  const direct = await operatorIdentity(namespace);
  const server = new URL(kc.getCurrentCluster()!.server);
  proxy = await startProxy(server);
  const viaProxy = `${direct}.proxied`;
  await writeFile(
    viaProxy,
    (await readFile(direct, 'utf8')).replace(server.origin, `https://127.0.0.1:${proxy.port}`),
  );
  // A lease that outlives the partition: leadership is not what this test is about.
  operator = await startTestOperator([namespace, quiet], viaProxy, {
    INFERENCE_LEASE_DURATION_MS: '60000',
    INFERENCE_RENEW_DEADLINE_MS: '40000',
  });
}, 60_000);

afterAll(async () => {
  await operator.stop();
  await proxy.close();
  await installCrds(); // the generated CRD back, whatever happened
  await deleteNamespaces();
  await deleteClusterRoles();
});

describe('a watch that expires', () => {
  it('is relisted: changes in the gap are seen once, unchanged objects cause nothing', async () => {
    await createResource(quiet, route('kept'));
    await createResource(namespace, route('removed'));
    await waitForCondition(quiet, 'ProviderRoute', 'kept', 'Ready', 'True');
    await waitForCondition(namespace, 'ProviderRoute', 'removed', 'Ready', 'True');
    await operator.idle();
    const kept = await getResource(quiet, 'ProviderRoute', 'kept');
    const keptConfig = await core.readNamespacedConfigMap({
      namespace: quiet,
      name: 'inference-config',
    });
    const resource = { resource: 'providerroutes' };
    const expiredBefore = await metric('informerRelists', { ...resource, reason: 'expired' });
    const addedBefore = await metric('informerEvents', { ...resource, type: 'added' });
    const deletedBefore = await metric('informerEvents', { ...resource, type: 'deleted' });

    // Partition the operator, upgrade the CRD, and change the world while it cannot see.
    proxy.cut();
    await extensions.patchCustomResourceDefinition(
      {
        name: 'providerroutes.inference.enis.io',
        body: [
          {
            op: 'replace',
            path: '/spec/versions/0/schema/openAPIV3Schema/description',
            value: 'Expires every watch.',
          },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await createResource(namespace, route('added'));
    await deleteResource(namespace, 'ProviderRoute', 'removed');
    await installCrds(); // the generated CRD back
    proxy.restore();
    await eventually(async () =>
      (await metric('informerRelists', { ...resource, reason: 'expired' })) >= expiredBefore + 2
        ? true
        : undefined,
    );

    // Nothing lost: the new route is served, the deleted one is gone from the config.
    await waitForCondition(namespace, 'ProviderRoute', 'added', 'Ready', 'True');
    await eventually(async () => {
      const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
      const routes = config.data?.['routes.yaml'] ?? '';
      return routes.includes('alias: added') && !routes.includes('alias: removed')
        ? true
        : undefined;
    });
    await operator.idle();
    // Nothing duplicated: both namespaces relisted, yet only one add and one delete were seen,
    // and nothing in the quiet namespace was written.
    expect(
      await metric('informerRelists', { ...resource, reason: 'expired' }),
    ).toBeGreaterThanOrEqual(expiredBefore + 2);
    expect(await metric('informerEvents', { ...resource, type: 'added' })).toBe(addedBefore + 1);
    expect(await metric('informerEvents', { ...resource, type: 'deleted' })).toBe(
      deletedBefore + 1,
    );
    const keptAfter = await getResource(quiet, 'ProviderRoute', 'kept');
    expect(keptAfter.metadata.resourceVersion).toBe(kept.metadata.resourceVersion);
    const keptConfigAfter = await core.readNamespacedConfigMap({
      namespace: quiet,
      name: 'inference-config',
    });
    expect(keptConfigAfter.metadata?.resourceVersion).toBe(keptConfig.metadata?.resourceVersion);
  }, 90_000);
});
