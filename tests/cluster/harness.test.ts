// The harness's own contract: what it starts answers, and stop() leaves nothing behind.
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  kubectlBinary,
  mintKubeconfig,
  pinnedKubernetesVersion,
  serviceAccountIdentity,
  startCluster,
  startRedis,
} from './harness.ts';

const run = promisify(execFile);
// INFERENCE_TEST_CLUSTER=off is the fast loop: it may not have built the cluster binary.
const describeCluster = describe.skipIf(process.env.INFERENCE_TEST_CLUSTER === 'off');

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Process ids whose command line mentions text (from /proc, so no ps is needed). */
async function processesMentioning(text: string): Promise<number[]> {
  const { stdout } = await run('sh', ['-c', 'ls /proc | grep -E "^[0-9]+$"']);
  const found: number[] = [];
  for (const pid of stdout.split('\n').filter(Boolean)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && Number(pid) !== process.pid) found.push(Number(pid));
  }
  return found;
}

describeCluster('startCluster', () => {
  it('starts a bare API server, answers kubectl as admin, and stop() removes every trace', async () => {
    const cluster = await startCluster();
    try {
      expect(cluster.kubeconfig).toBe(join(cluster.dir, 'admin.kubeconfig'));
      const env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
      const { stdout } = await run(kubectlBinary, ['version', '-o', 'json'], { env });
      const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string } };
      expect(version.serverVersion.gitVersion).toBe(await pinnedKubernetesVersion());
      const whoami = await run(
        kubectlBinary,
        ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}'],
        { env },
      );
      expect(whoami.stdout).toContain('system:masters');
      expect(await processesMentioning(cluster.dir)).not.toHaveLength(0);
    } finally {
      await cluster.stop();
    }
    expect(await exists(cluster.dir)).toBe(false);
    expect(await processesMentioning(cluster.dir)).toEqual([]);
  }, 60_000);
});

describeCluster('mintKubeconfig', () => {
  it('writes a kubeconfig whose identity is the given user and groups', async () => {
    const cluster = await startCluster();
    try {
      const { user, groups } = serviceAccountIdentity('team-a', 'operator');
      const kubeconfig = await mintKubeconfig(cluster.dir, user, groups);
      const { stdout } = await run(kubectlBinary, ['auth', 'whoami', '-o', 'json'], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      const review = JSON.parse(stdout) as {
        status: { userInfo: { username: string; groups: string[] } };
      };
      expect(review.status.userInfo.username).toBe('system:serviceaccount:team-a:operator');
      expect(review.status.userInfo.groups).toEqual(
        expect.arrayContaining(['system:serviceaccounts', 'system:serviceaccounts:team-a']),
      );
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});

describe('startRedis', () => {
  it('serves PING on its loopback port until stop()', async () => {
    const redis = await startRedis();
    const port = Number(new URL(redis.url).port);
    const reply = async (): Promise<string> =>
      new Promise((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port }, () =>
          socket.write('PING\r\n'),
        );
        socket.on('data', (chunk) => {
          resolve(chunk.toString());
          socket.end();
        });
        socket.on('error', (err) => {
          resolve(err.message);
        });
      });
    expect(await reply()).toBe('+PONG\r\n');
    await redis.stop();
    expect(await reply()).toContain('ECONNREFUSED');
  });
});
