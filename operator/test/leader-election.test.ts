// Two operator processes (`node operator/src/main.ts`, as the operator's ServiceAccount) race
// for one Lease: one leads and reconciles; killed with SIGKILL, the other takes over within the
// lease duration and reconciles; stopped with SIGTERM, a leader releases the Lease at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  eventually,
  installCrds,
  kc,
  newNamespace,
  operatorEnv,
  operatorIdentity,
  waitForCondition,
} from './support.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const LEASE_MS = 3000;
const RETRY_MS = 500;
const leases = kc.makeApiClient(CoordinationV1Api);

let namespace: string;
let kubeconfig: string;
const replicas = new Map<string, { child: ChildProcess; output: () => string }>();

function startReplica(identity: string): void {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ...operatorEnv([namespace], kubeconfig, {
        INFERENCE_IDENTITY: identity,
        INFERENCE_LEASE_DURATION_MS: String(LEASE_MS),
        INFERENCE_RENEW_DEADLINE_MS: '2000',
        INFERENCE_RETRY_PERIOD_MS: String(RETRY_MS),
        INFERENCE_LOG_LEVEL: 'info',
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  replicas.set(identity, { child, output: () => text });
}

async function holder(): Promise<{ holder: string; transitions: number } | undefined> {
  try {
    const lease = await leases.readNamespacedLease({ namespace, name: 'inference-operator' });
    return {
      holder: lease.spec?.holderIdentity ?? '',
      transitions: lease.spec?.leaseTransitions ?? 0,
    };
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('leader');
  kubeconfig = await operatorIdentity(namespace);
  startReplica('replica-a');
  startReplica('replica-b');
}, 60_000);

afterAll(async () => {
  for (const { child } of replicas.values()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await deleteNamespaces();
  await deleteClusterRoles();
});

describe('two operator processes', () => {
  let leader = '';
  let standby = '';

  it('elect one leader, which reconciles', async () => {
    const lease = await eventually(async () => {
      const h = await holder();
      return h !== undefined && replicas.has(h.holder) ? h : undefined;
    }, 30_000);
    leader = lease.holder;
    standby = leader === 'replica-a' ? 'replica-b' : 'replica-a';
    await createResource(namespace, {
      kind: 'ProviderRoute',
      metadata: { name: 'before' },
      spec: { alias: 'before', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    });
    await waitForCondition(namespace, 'ProviderRoute', 'before', 'Ready', 'True');
    expect(replicas.get(leader)!.output()).toContain('Became the leader');
    expect(replicas.get(standby)!.output()).not.toContain('Became the leader');
    expect(replicas.get(standby)!.output()).not.toContain('Applied');
  }, 60_000);

  it('hand over to the standby within the lease duration when the leader is killed', async () => {
    const before = (await holder())!;
    const { child } = replicas.get(leader)!;
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const after = await eventually(async () => {
      const h = await holder();
      return h?.holder === standby ? h : undefined;
    }, 20_000);
    const tookOverMs = Date.now() - killedAt;
    // The standby waits leaseDuration from the last renewal it saw, polling every retry period;
    // the rest is two API round trips and scheduling on shared cores.
    expect(tookOverMs).toBeLessThan(LEASE_MS + 2 * RETRY_MS + 2500);
    expect(after.transitions).toBe(before.transitions + 1);
    await createResource(namespace, {
      kind: 'ProviderRoute',
      metadata: { name: 'after' },
      spec: { alias: 'after', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    });
    await waitForCondition(namespace, 'ProviderRoute', 'after', 'Ready', 'True');
    console.log(
      `leader-election: the standby took over ${tookOverMs} ms after SIGKILL (lease ${LEASE_MS} ms)`,
    );
  }, 60_000);

  it('release the Lease on SIGTERM, after finishing in-flight work', async () => {
    const { child, output } = replicas.get(standby)!;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(output()).toContain('Released the Lease');
    expect((await holder())?.holder).toBe('');
  }, 30_000);
});
