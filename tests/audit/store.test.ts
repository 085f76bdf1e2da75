import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append, checkpoint, GENESIS, verifyExport } from '../../dataplane/src/audit/chain.ts';
import { exportLines } from '../../dataplane/src/audit/export.ts';
import { MemoryAuditStore } from '../../dataplane/src/audit/memory-store.ts';
import { RedisAuditStore } from '../../dataplane/src/audit/redis-store.ts';
import type { AuditStore } from '../../dataplane/src/audit/store.ts';
import { AuditSweeper } from '../../dataplane/src/audit/sweeper.ts';
import { AuditWriter } from '../../dataplane/src/audit/writer.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { kid: 'k1', key: privateKey };
const keys = new Map([['k1', publicKey]]);
const DAY = 86_400_000;

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const client of clients) await client.quit();
  await server.stop();
});

function redisStore(prefix: string): RedisAuditStore {
  const client = new Redis(server.url);
  clients.push(client);
  return new RedisAuditStore(client, { prefix: () => prefix });
}

async function collect(store: AuditStore, tenant: string, fromMs = 0, toMs = Date.now() + DAY) {
  const lines = [];
  for await (const line of exportLines(store, tenant, { fromMs, toMs }, signer)) lines.push(line);
  return lines;
}

const writer = (store: AuditStore, now?: () => number) =>
  new AuditWriter({
    store,
    signer: () => signer,
    checkpointEvery: () => 10,
    ...(now === undefined ? {} : { now }),
  });

describe.each([
  ['Redis', () => redisStore(`t${Math.random()}:`)],
  ['memory', () => new MemoryAuditStore()],
] as const)('the %s audit store', (_name, makeStore) => {
  it('appends only after the head it was given, and says which head it has', async () => {
    const store = makeStore();
    const first = append('acme', undefined, { n: 1 });
    expect(
      await store.append('acme', { seq: 0, hash: GENESIS, first: 1 }, [{ entry: first, at: 1 }]),
    ).toEqual({
      kind: 'ok',
    });
    const stale = append('acme', undefined, { n: 2 });
    expect(
      await store.append('acme', { seq: 0, hash: GENESIS, first: 1 }, [{ entry: stale, at: 2 }]),
    ).toEqual({
      kind: 'conflict',
      head: { seq: 1, hash: first.hash, first: 1 },
    });
    expect(await store.entries('acme', 1, 5)).toEqual([first]);
  });

  it('writes a claimed receipt only while its intent is there, and clears it', async () => {
    const store = makeStore();
    await store.intend('acme', { request_id: 'r1' }, 100);
    expect(await store.expired('acme', 99, 10)).toEqual([]);
    expect(await store.expired('acme', 100, 10)).toEqual([{ request_id: 'r1' }]);
    const head = await store.head('acme');
    const entry = append('acme', head, { request_id: 'r1', outcome: 'interrupted' });
    const claim = { entry, at: 1, intent: { requestId: 'r1', mode: 'claim' as const } };
    expect(await store.append('acme', head, [claim])).toEqual({ kind: 'ok' });
    expect(await store.expired('acme', 1000, 10)).toEqual([]);
    const again = append('acme', entry, { request_id: 'r1', outcome: 'interrupted' });
    expect(
      await store.append('acme', await store.head('acme'), [
        { entry: again, at: 2, intent: { requestId: 'r1', mode: 'claim' } },
      ]),
    ).toEqual({ kind: 'gone', requestIds: ['r1'] });
  });

  it('keeps one chain per tenant across writers that race, and it verifies', async () => {
    const store = makeStore();
    const [a, b] = [writer(store), writer(store)];
    await Promise.all(
      Array.from({ length: 120 }, (_, index) =>
        (index % 2 === 0 ? a : b).append('acme', { request_id: `r${index}` }),
      ),
    );
    const lines = await collect(store, 'acme');
    expect(verifyExport(lines, keys)).toEqual({
      ok: true,
      tenant: 'acme',
      from: 1,
      to: 120,
      checkpoints: 13,
    });
    const ids = lines.flatMap((line) =>
      line.type === 'receipt' ? [line.receipt['request_id']] : [],
    );
    expect(new Set(ids).size).toBe(120);
  });

  it('exports an entry queued before the head but appended after it, in the head’s time range', async () => {
    const store = makeStore();
    const late = append('acme', undefined, { n: 1 });
    const early = append('acme', late, { n: 2 });
    await store.append('acme', await store.head('acme'), [{ entry: late, at: 2000 }]);
    await store.append('acme', await store.head('acme'), [{ entry: early, at: 1000 }]);
    expect(await store.span('acme', 0, 5000)).toEqual({ first: 1, last: 2 });
    expect(await store.span('acme', 1500, 5000)).toEqual({ first: 1, last: 2 });
    expect(verifyExport(await collect(store, 'acme'), keys)).toMatchObject({ ok: true, to: 2 });
  });

  it('trims what retention outlived, and what is left verifies from its anchor', async () => {
    const store = makeStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const write = writer(store, () => now);
    for (let index = 0; index < 25; index++)
      await write.append('short', { request_id: `old-${index}` });
    now += 31 * DAY;
    for (let index = 0; index < 5; index++)
      await write.append('short', { request_id: `new-${index}` });
    const sweeper = new AuditSweeper({
      store,
      writer: write,
      signer: () => signer,
      retentionDays: () => 30,
      now: () => now,
    });
    expect(await sweeper.sweep()).toMatchObject({ trimmed: 25 });
    const lines = await collect(store, 'short', 0, now);
    expect(lines[0]).toMatchObject({ type: 'checkpoint', seq: 25, final: false });
    expect(verifyExport(lines, keys)).toMatchObject({ ok: true, from: 26, to: 30 });
    const ids = lines.flatMap((line) =>
      line.type === 'receipt' ? [line.receipt['request_id']] : [],
    );
    expect(ids).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
    // A second sweep finds nothing more to do.
    expect(await sweeper.sweep()).toEqual({ interrupted: 0, checkpoints: 0, trimmed: 0 });
  });

  it('keeps at most maxEntries receipts, anchored like a retention trim', async () => {
    const store = makeStore();
    const write = writer(store);
    for (let index = 0; index < 12; index++)
      await write.append('busy', { request_id: `r${index}` });
    const sweeper = new AuditSweeper({
      store,
      writer: write,
      signer: () => signer,
      retentionDays: () => 90,
      maxEntries: 5,
    });
    expect(await sweeper.sweep()).toMatchObject({ trimmed: 7 });
    expect(verifyExport(await collect(store, 'busy'), keys)).toMatchObject({
      ok: true,
      from: 8,
      to: 12,
    });
  });

  it('signs a checkpoint over a head that moved, once', async () => {
    const store = makeStore();
    const write = writer(store);
    await write.append('acme', { request_id: 'one' });
    const sweeper = new AuditSweeper({
      store,
      writer: write,
      signer: () => signer,
      retentionDays: () => 90,
    });
    expect(await sweeper.sweep()).toMatchObject({ checkpoints: 1 });
    expect(await sweeper.sweep()).toMatchObject({ checkpoints: 0 });
    expect(await store.checkpointAtOrBefore('acme', 1)).toEqual(
      checkpoint((await store.entries('acme', 1, 1))[0]!, 'k1', privateKey),
    );
  });
});

describe('the writer', () => {
  it('keeps receipts while the store refuses and writes them, in order, once it takes them', async () => {
    const store = redisStore('outage:');
    let down = false;
    const flaky = new Proxy(store, {
      get(target, name: keyof AuditStore) {
        if (name === 'append' && down) return () => Promise.reject(new Error('connection refused'));
        const member: unknown = Reflect.get(target, name);
        return typeof member === 'function' ? (member as () => unknown).bind(target) : member;
      },
    });
    const errors: unknown[] = [];
    const write = new AuditWriter({
      store: flaky,
      signer: () => signer,
      checkpointEvery: () => 1000,
      onError: (error) => errors.push(error),
    });
    await write.append('acme', { request_id: 'before' });
    down = true;
    const pending = [
      write.append('acme', { request_id: 'during-1' }),
      write.append('acme', { request_id: 'during-2' }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(errors.length).toBeGreaterThan(0);
    expect(write.backlog).toBe(2);
    down = false;
    await Promise.all(pending);
    const entries = await store.entries('acme', 1, 10);
    expect(entries.map((entry) => entry.receipt['request_id'])).toEqual([
      'before',
      'during-1',
      'during-2',
    ]);
    expect(verifyExport(await collect(store, 'acme'), keys)).toMatchObject({ ok: true, to: 3 });
  });
});
