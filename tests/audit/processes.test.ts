import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport, type ExportLine } from '../../dataplane/src/audit/chain.ts';
import { waitFor } from '../batch/support.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import type { ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { auditConfig, linesOf } from './support.ts';

let server: RedisServer;
let config: ConfigDir;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  config = await auditConfig({
    limits: { requestTimeoutMs: 2000 },
    audit: { sweepIntervalS: 1, leaseMarginS: 1 },
  });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
});

afterAll(async () => {
  await server.stop();
  await config.cleanup();
});

async function startDataplane(): Promise<DataplaneProcess> {
  const dataplane = await spawnDataplane(config.dir, server.url);
  children.push(dataplane.child);
  return dataplane;
}

async function exportOf(url: string, tenant: string): Promise<ExportLine[]> {
  const response = await fetch(`${url}/api/v1/audit/export?tenant=${tenant}`, {
    headers: {
      authorization: `Bearer ${await config.token({ tenant: 'auditor' })}`,
      'x-request-id': 'export',
    },
  });
  expect(response.status).toBe(200);
  return linesOf(await response.text());
}

describe('two dataplane processes on one Redis', () => {
  it('keep one verifiable chain per tenant under load', async () => {
    const processes = await Promise.all([startDataplane(), startDataplane()]);
    const tokens = await Promise.all(['north', 'south'].map((tenant) => config.token({ tenant })));
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const response = await fetch(`${processes[index % 2]!.url}/api/v1/inference`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tokens[Math.floor(index / 2) % 2]}`,
            'content-type': 'application/json',
            'x-request-id': `load-${index}`,
          },
          body: JSON.stringify({
            model: 'chat',
            messages: [{ role: 'user', content: 'hello there' }],
          }),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    for (const tenant of ['north', 'south']) {
      const lines = await exportOf(processes[1].url, tenant);
      const keys = new Map([['a1', config.auditKey]]);
      expect(verifyExport(lines, keys)).toMatchObject({ ok: true, tenant, from: 1, to: 100 });
      const ids = lines.flatMap((line) =>
        line.type === 'receipt' ? [line.receipt['request_id']] : [],
      );
      expect(new Set(ids).size).toBe(100);
    }
  });
});

describe('a dataplane killed mid-stream', () => {
  it('leaves a receipt that says the stream was interrupted', async () => {
    const [victim, survivor] = await Promise.all([startDataplane(), startDataplane()]);
    const response = await fetch(`${victim.url}/api/v1/inference:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'killed' })}`,
        'content-type': 'application/json',
        'x-request-id': 'killed-1',
      },
      body: JSON.stringify({
        model: 'long',
        messages: [{ role: 'user', content: 'tell me a long story' }],
      }),
    });
    const reader = response.body!.getReader();
    let seen = '';
    while ((seen.match(/^event: data$/gm) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The stream ended before it was killed:\n${seen}`);
      seen += new TextDecoder().decode(value);
    }
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    const receipt = await waitFor(
      'the survivor to record the interrupted stream',
      async () => {
        const lines = await exportOf(survivor.url, 'killed').catch(() => []);
        return lines.find(
          (line) => line.type === 'receipt' && line.receipt['request_id'] === 'killed-1',
        );
      },
      15_000,
      250,
    );
    expect(receipt.type === 'receipt' && receipt.receipt).toMatchObject({
      outcome: 'interrupted',
      tenant: 'killed',
      surface: 'inference-stream',
      model: 'long',
      streamed: true,
    });
  });
});
