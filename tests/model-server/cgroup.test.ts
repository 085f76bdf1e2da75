/**
 * mem_guard in a real memory cgroup: the model server runs in a child of this process's
 * cgroup v1 memory cgroup (this machine has the v1 memory controller; its unified hierarchy
 * has none), joined before `exec`, with a limit written to memory.limit_in_bytes. The guard
 * reads that limit and the usage, refuses a dual-load that does not fit, raises
 * memory_headroom_low, and clears it when the limit is raised. Skipped where no writable v1
 * memory hierarchy exists (e.g. cgroup v2-only runners), with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import {
  createMemoryCgroup,
  memoryCgroupParent,
  type MemoryCgroup,
} from '../support/memory-cgroup.ts';
import { metric, spawnModelServer, TINY, waitReady, type ModelServerProcess } from './process.ts';

const MiB = 2 ** 20;
const TOKEN = 'admin-token';
const admin = { authorization: `Bearer ${TOKEN}` };

describe.skipIf(memoryCgroupParent === undefined)(
  'mem_guard in a real cgroup v1 memory cgroup',
  () => {
    let group: MemoryCgroup;
    let cgroup = '';
    let server: ModelServerProcess;
    let limit = 0;
    beforeAll(async () => {
      group = await createMemoryCgroup(`model-server-${process.pid}`, 1024 * MiB);
      cgroup = group.dir;
      server = await spawnModelServer(
        {
          MODEL_URI: TINY,
          MODEL_NAME: 'tiny',
          // Declared as an InferenceModel would: 200 MiB, the room the limit leaves below.
          MODEL_BYTES: String(200 * MiB),
          MODEL_ADMIN_TOKEN: TOKEN,
        },
        group.prefix,
      );
      await waitReady(server);
      // What the loaded server is charged (the node binary's pages may sit in another cgroup's
      // cache), plus 200 MiB: room for the model once, not for 1.3 × a second one.
      limit = Math.ceil(((await group.usage()) + 200 * MiB) / MiB) * MiB;
      await group.setLimit(limit);
    });
    afterAll(async () => {
      await server.stop();
      await group.remove();
    });

    it('runs the server inside the cgroup and reads its limit and usage', async () => {
      const procs = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').trim().split('\n');
      expect(procs).toContain(String(server.child.pid));
      const memory = (await (
        await fetch(`${server.url}/admin/memory`, { headers: admin })
      ).json()) as Record<string, number | string>;
      expect(memory).toMatchObject({
        source: 'cgroup v1',
        limitBytes: limit,
        headroomFactor: 1.3,
      });
      expect(memory['workingSetBytes']).toBeGreaterThan(30 * MiB);
      expect(memory['freeBytes']).toBe(limit - Number(memory['workingSetBytes']));
      expect(await metric(server.url, 'model_server_memory_bytes{kind="cgroup_limit"}')).toBe(
        limit,
      );
    });

    it('refuses a dual-load the limit cannot hold and allows one it can', async () => {
      const ask = async (bytes: number) =>
        (await (
          await fetch(`${server.url}/admin/memory?modelBytes=${bytes}`, { headers: admin })
        ).json()) as {
          allowed: boolean;
          reason: string;
          message: string;
        };
      const big = await ask(300 * MiB);
      expect(big).toMatchObject({ allowed: false, reason: 'InsufficientHeadroom' });
      expect(big.message).toMatch(
        /needs 390\.0 MiB \(300\.0 MiB × 1\.3\) but only .* of the [0-9.]+ MiB limit is free \(cgroup v1\)/,
      );
      expect(await ask(20 * MiB)).toMatchObject({ allowed: true, reason: 'SufficientHeadroom' });
    });

    it('raises memory_headroom_low below 1.3 × the model and clears it when the limit is raised', async () => {
      expect(await metric(server.url, 'memory_headroom_low')).toBe(1);
      expect(await metric(server.url, 'model_server_memory_headroom_ratio')).toBeLessThan(1.3);
      await group.setLimit(limit + 1024 * MiB);
      await eventually(async () => (await metric(server.url, 'memory_headroom_low')) === 0, 5000);
      expect(await metric(server.url, 'model_server_memory_headroom_ratio')).toBeGreaterThan(1.3);
      expect(server.output()).toContain('"msg":"Raised memory_headroom_low"');
      expect(server.output()).toContain('"msg":"Cleared memory_headroom_low"');
      await group.setLimit(limit);
    });

    it('refuses an in-pod swap that does not fit and keeps serving the old version', async () => {
      const response = await fetch(`${server.url}/admin/swap`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({
          uri: TINY,
          version: 'v2',
          quantization: 'int8',
          modelBytes: 300 * MiB,
        }),
      });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({
        error: {
          code: 'CONFLICT',
          details: { reason: 'InsufficientHeadroom', neededBytes: 390 * MiB },
        },
      });
      const model = (await (
        await fetch(`${server.url}/admin/model`, { headers: admin })
      ).json()) as {
        active: { version: string };
        events: { result: string; reason: string }[];
      };
      expect(model.active.version).toBe('v1');
      expect(model.events.at(-1)).toMatchObject({
        result: 'refused',
        reason: 'InsufficientHeadroom',
      });
      expect(await metric(server.url, 'model_server_swaps_total{result="refused"}')).toBe(1);
    });

    it('keeps the admin endpoints behind the token', async () => {
      expect((await fetch(`${server.url}/admin/memory`)).status).toBe(401);
    });
  },
);
