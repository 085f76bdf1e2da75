// The operator and the dataplane agree on the config contract on a real control plane: the
// samples' rendered ConfigMaps and Secrets, laid out as kubelet mounts them, load in the
// dataplane's loader, and the checksum it computes is the one the operator reports.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinds } from '../../crds/index.ts';
import { readSample } from '../../crds/sample-files.ts';
import { readConfigTree } from '../../dataplane/src/config/read-tree.ts';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import type { OperatorHandle } from '../../operator/src/operator.ts';
import {
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  getResource,
  installCrds,
  newNamespace,
  operatorIdentity,
  startTestOperator,
  waitForCondition,
  type Kind,
} from '../../operator/test/support.ts';

let namespace: string;
let operator: OperatorHandle;

beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('contract');
  operator = await startTestOperator([namespace], await operatorIdentity(namespace));
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'openai-credentials' }, stringData: { 'api-key': 'sk-test-openai' } },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'tickets-mcp-token' }, stringData: { token: 'mcp-token' } },
  });
  const created = [];
  for (const kind of kinds) created.push(await createResource(namespace, readSample(kind)));
  // The operator runs with mcp.enabled off (its default): the MCPGateway says McpDisabled.
  for (const { kind, metadata } of created) {
    const off = kind === 'MCPGateway';
    await waitForCondition(
      namespace,
      kind as Kind,
      metadata.name,
      'Ready',
      off ? 'False' : 'True',
      off ? 'McpDisabled' : undefined,
      60_000,
    );
  }
  await operator.idle();
}, 120_000);

afterAll(async () => {
  await operator.stop();
  await deleteNamespaces();
  await deleteClusterRoles();
});

describe('the config contract rendered for the samples', () => {
  it('loads in the dataplane, with the checksum the status reports', async () => {
    const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
    const prompts = await core.readNamespacedConfigMap({ namespace, name: 'inference-prompts' });
    const keys = await core.readNamespacedSecret({ namespace, name: 'inference-keys' });
    const credentials = await core.readNamespacedSecret({
      namespace,
      name: 'inference-credentials',
    });
    // Lay the objects out as kubelet mounts them, and load them with the dataplane's loader.
    const dir = await mkdtemp(join(tmpdir(), 'contract-'));
    try {
      const put = async (path: string, text: string): Promise<void> => {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      };
      for (const [k, v] of Object.entries(config.data ?? {})) await put(k, v);
      for (const [k, v] of Object.entries(prompts.data ?? {})) await put(`prompts/${k}`, v);
      for (const [k, v] of Object.entries(keys.data ?? {}))
        await put(`keys/${k}`, Buffer.from(v, 'base64').toString());
      for (const [k, v] of Object.entries(credentials.data ?? {}))
        await put(`credentials/${k}`, Buffer.from(v, 'base64').toString());
      const files = await readConfigTree([dir]);
      const snapshot = buildSnapshot(files, {});
      expect(snapshot.routes.get('chat')?.targets[1]?.apiKey).toBe('sk-test-openai');
      expect(snapshot.prompts.get('support-triage')?.[0]?.version).toBe('1.2.0');
      expect(snapshot.budgets.get('acme')?.period).toBe('monthly');
      expect(files.checksum).toBe(
        config.metadata?.annotations?.['inference.enis.io/config-checksum'],
      );
      const route = await getResource(namespace, 'ProviderRoute', 'chat');
      expect(route.status?.['renderedConfigChecksum']).toBe(files.checksum);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
