import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { ConfigStore } from './config-store.ts';
import { isSandbox, snapshotFor } from './sandbox.ts';
import type { ConfigSnapshot } from './snapshot.ts';

let config: ConfigDir;
let store: ConfigStore | undefined;

afterEach(async () => {
  store?.close();
  await config.cleanup();
});

async function served(sandbox: object): Promise<ConfigSnapshot> {
  config = await makeConfigDir({
    gateway: { defaultModel: 'gpt', sandbox },
    routes: {
      routes: [
        {
          alias: 'gpt',
          targets: [
            {
              name: 'gpt',
              provider: 'openai',
              model: 'gpt-4o',
              baseURL: 'http://127.0.0.1:9/v1',
              credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
              timeoutMs: 5000,
            },
            { name: 'local', provider: 'local', model: 'tiny', timeoutMs: 9000 },
          ],
          cache: { ttlS: 60 },
        },
      ],
    },
  });
  await config.write('budgets.yaml', {
    budgets: [
      { tenant: 'play', limits: { tokens: 100 } },
      { tenant: 'acme', limits: { tokens: 100 } },
    ],
  });
  await config.write('credentials/openai__api-key', 'sk-real');
  store = new ConfigStore([config.dir]);
  await store.reload();
  if (store.current === undefined) throw new Error(store.status.lastError);
  return store.current;
}

describe("a sandbox tenant's snapshot", () => {
  it('is the served one for a tenant the sandbox does not name', async () => {
    const snapshot = await served({ tenants: ['play'] });
    expect(snapshotFor(snapshot, 'acme')).toBe(snapshot);
    expect(isSandbox(snapshot)).toBe(false);
  });

  it('routes every alias to the mock model alone, with no credential, cache or fallback', async () => {
    const snapshot = await served({ tenants: ['play'], model: 'fixed?text=hi&gapMs=5' });
    const sandbox = snapshotFor(snapshot, 'play');
    expect(isSandbox(sandbox)).toBe(true);
    const route = sandbox.routes.get('gpt');
    expect(route?.targets).toEqual([
      {
        name: 'sandbox',
        provider: 'mock',
        model: 'fixed?text=hi&gapMs=5',
        timeoutMs: 9000,
        weight: 1,
        priority: 0,
      },
    ]);
    expect(route?.cache).toBeUndefined();
    expect(route?.retry.maxAttempts).toBe(1);
    expect(snapshot.routes.get('gpt')?.targets[0]?.apiKey).toBe('sk-real');
  });

  it("holds the tenant's own budget only, no price, and the served decision config", async () => {
    const snapshot = await served({ tenants: ['play'] });
    const sandbox = snapshotFor(snapshot, 'play');
    expect([...sandbox.budgets.keys()]).toEqual(['play']);
    expect(sandbox.pricing).toEqual({ checksum: undefined, prices: [] });
    expect(sandbox.decision).toBe(snapshot.decision);
  });

  it('is made once per served snapshot and tenant', async () => {
    const snapshot = await served({ tenants: ['play', 'demo'] });
    expect(snapshotFor(snapshot, 'play')).toBe(snapshotFor(snapshot, 'play'));
    expect(snapshotFor(snapshot, 'demo')).not.toBe(snapshotFor(snapshot, 'play'));
  });
});
