/**
 * Two network namespaces joined by one veth pair, and nothing else: `world` (a DNS server, an
 * in-cluster service on 10.213.0.1 and an "outside" host on 198.51.100.1, TEST-NET-2) and
 * `gateway` (the dataplane, 10.213.0.2 and 198.51.100.2, resolving through the world's DNS via
 * /etc/netns/<gateway>/resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf). The
 * host's own namespace gets no address, route or link. Needs root and iproute2.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

export const WORLD_IP = { cluster: '10.213.0.1', outside: '198.51.100.1' };
export const GATEWAY_IP = '10.213.0.2';

export interface Topology {
  world: string;
  gateway: string;
  /** Deletes both namespaces (the veth pair goes with them) and the resolv.conf; idempotent. */
  destroy(): void;
}

function ip(...args: string[]): void {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`ip ${args.join(' ')} failed: ${run.stderr || run.error?.message || ''}`);
  }
}

/** Why the namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs root';
  const version = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (version.status !== 0) return 'no `ip` command (iproute2)';
  const probe = `egress-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Namespaces an earlier run of these tests left behind (its process is gone), and what runs in them: removed. */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  for (const [name, pid] of list.matchAll(/^(egress-(\d+)-(?:world|gw))\b/gm)) {
    if (alive(Number(pid))) continue;
    // The world and dataplane processes that run left there, by their PIDs.
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout;
    for (const left of pids.split('\n').filter((line) => /^\d+$/.test(line))) {
      try {
        process.kill(Number(left), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    spawnSync('ip', ['netns', 'del', name]);
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function createTopology(): Topology {
  removeStale();
  const id = `${process.pid}`;
  const world = `egress-${id}-world`;
  const gateway = `egress-${id}-gw`;
  const resolvDir = `/etc/netns/${gateway}`;
  const destroy = () => {
    for (const ns of [gateway, world]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(resolvDir, { recursive: true, force: true });
  };
  try {
    ip('netns', 'add', world);
    ip('netns', 'add', gateway);
    const inWorld = (...args: string[]) => {
      ip('-n', world, ...args);
    };
    const inGateway = (...args: string[]) => {
      ip('-n', gateway, ...args);
    };
    // Created inside the world namespace, its peer moved straight into the gateway's.
    inWorld('link', 'add', `ew${id}`, 'type', 'veth', 'peer', 'name', `eg${id}`, 'netns', gateway);
    inWorld('addr', 'add', `${WORLD_IP.cluster}/24`, 'dev', `ew${id}`);
    inWorld('addr', 'add', `${WORLD_IP.outside}/24`, 'dev', `ew${id}`);
    inGateway('addr', 'add', `${GATEWAY_IP}/24`, 'dev', `eg${id}`);
    inGateway('addr', 'add', '198.51.100.2/24', 'dev', `eg${id}`);
    for (const [run, dev] of [
      [inWorld, `ew${id}`],
      [inGateway, `eg${id}`],
    ] as const) {
      run('link', 'set', 'lo', 'up');
      run('link', 'set', dev, 'up');
    }
    mkdirSync(resolvDir, { recursive: true });
    writeFileSync(
      `${resolvDir}/resolv.conf`,
      `nameserver ${WORLD_IP.cluster}\noptions timeout:1 attempts:2\n`,
    );
  } catch (error) {
    destroy();
    throw error;
  }
  return { world, gateway, destroy };
}
