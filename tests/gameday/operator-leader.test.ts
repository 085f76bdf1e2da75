// Game day: the operator leader killed (`make gameday` with the test cluster, docs/gameday.md).
// The e2e loop (tests/e2e/loop.ts: the test cluster, a dataplane on the projected contract) with
// its in-process operator stopped, and two operator processes (`node operator/src/main.ts`) in
// its place, electing a leader on one Lease (3 s lease, 0.5 s retry, as the loop's). Four clients
// post to the dataplane. The leader gets SIGKILL (no Lease release), and a new ProviderRoute is
// applied at once. RTO: from the kill to the standby holding the Lease, and to the new route
// served; RPO: answers that failed (the operator is not in the data path) and changes lost.
// Skipped unless GAMEDAY=1 and the test cluster is on.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, resource, startLoop, type Loop } from '../e2e/loop.ts';
import { enabled, failures, sleep, startLoad, stopChild } from './support.ts';

const clusterOn = process.env['INFERENCE_TEST_CLUSTER'] !== 'off';
const root = join(import.meta.dirname, '../..');
const chat = (alias: string) =>
  resource('ProviderRoute', alias, {
    alias,
    targets: [{ name: 'echo', provider: 'mock', model: 'echo' }],
  });

describe.skipIf(!enabled || !clusterOn)('game day: the operator leader killed', () => {
  let loop: Loop;
  const started: { loop?: Loop; operators: ChildProcess[] } = { operators: [] };

  /** An operator process of the loop's namespace, identity and contract inputs. */
  const spawnOperator = async (identity: string): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['operator/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        KUBECONFIG: loop.operatorKubeconfig,
        INFERENCE_WATCH_NAMESPACES: loop.namespace,
        INFERENCE_LEASE_NAMESPACE: loop.namespace,
        INFERENCE_IDENTITY: identity,
        // The JWKS the loop's operator rendered, so that the loop's tokens still verify.
        INFERENCE_AUTH_JWKS: await readFile(join(loop.root, 'keys/jwks.json'), 'utf8'),
        INFERENCE_HEALTH_PORT: '0',
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_BIND_ADDRESS: '127.0.0.1',
        INFERENCE_LEASE_DURATION_MS: '3000',
        INFERENCE_RENEW_DEADLINE_MS: '2000',
        INFERENCE_RETRY_PERIOD_MS: '500',
        INFERENCE_RESYNC_MS: '0',
        INFERENCE_PRICING_FILE: fileURLToPath(
          new URL('../../config/pricing.yaml', import.meta.url),
        ),
        INFERENCE_REDIS_URL: inject('redisUrl'),
        INFERENCE_BUDGET_REDIS_URL: inject('redisUrl'),
        INFERENCE_GATEWAY_SETTINGS: JSON.stringify({
          budgets: { keyPrefix: `${loop.namespace}:` },
        }),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    started.operators.push(child);
    return child;
  };

  const holder = async () => {
    const lease = JSON.parse(
      await loop.kubectl(['get', 'lease', 'inference-operator', '-o', 'json']),
    ) as { spec?: { holderIdentity?: string } };
    return lease.spec?.holderIdentity ?? '';
  };

  beforeAll(async () => {
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      redisUrl: inject('redisUrl'),
      prefix: 'gameday-leader',
    });
    started.loop = loop;
    await loop.apply([chat('chat')]);
    await eventually(async () => (await loop.readyz()).routes.includes('chat'), 60_000);
    await loop.stopOperator();
  }, 180_000);

  afterAll(async () => {
    for (const child of started.operators) await stopChild(child);
    await started.loop?.stop();
  });

  it('hands the Lease to the standby, which reconciles the change made meanwhile', async () => {
    const leader = await spawnOperator('gameday-a');
    await eventually(async () => (await holder()) === 'gameday-a', 30_000);
    await spawnOperator('gameday-b');
    const token = await loop.token();
    const load = startLoad({ url: () => loop.url, token: () => token });
    await sleep(2000);

    const killedAt = performance.now();
    const exited = once(leader, 'exit');
    leader.kill('SIGKILL');
    await exited;
    await loop.apply([chat('chat-v2')]);
    await eventually(async () => (await holder()) === 'gameday-b', 30_000, 50);
    const takeoverMs = performance.now() - killedAt;
    await eventually(async () => (await loop.readyz()).routes.includes('chat-v2'), 60_000);
    const servedMs = performance.now() - killedAt;
    await sleep(1000);
    await load.stop();

    const after = load.answers.filter((a) => a.sent >= killedAt);
    console.log(
      `gameday operator-leader: the leader SIGKILLed; the standby held the Lease after ${takeoverMs.toFixed(0)} ms ` +
        `(lease 3,000 ms, retry 500 ms), the route applied meanwhile served after ${servedMs.toFixed(0)} ms; ` +
        `${after.length} answers from the kill on, failed: ${failures(after)}`,
    );

    expect(takeoverMs).toBeLessThan(10_000);
    expect(after.filter((a) => a.status !== 200)).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
  }, 120_000);
});
