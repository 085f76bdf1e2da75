// Game day: a whole "region" lost (`make gameday`, docs/gameday.md). Two dataplane groups, A
// and B, each one real dataplane process on its own Redis (one config contract, as each region's
// operator would render the same resources), no replication between them. Four clients post to
// the group their resolver names; the resolver health-checks A's /readyz every 200 ms and moves
// to B when A stops answering, as a DNS failover with a health check and a short TTL would. A
// client streams from A. Region A is lost: its dataplane and its Redis get SIGKILL together.
// RTO: from the loss to the first answer B served. RPO, said plainly: the answers in flight in A,
// the stream's resume state (its token names a stream only A's Redis held), the spend charged in
// A (B's budget starts from nothing), and A's audit chain (B keeps its own). Skipped unless
// GAMEDAY=1: it is not part of `make test`.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import { verifyExport } from '../../dataplane/src/audit/chain.ts';
import { parseExport } from '../../dataplane/src/audit/parse.ts';
import { startAofRedis, type AofRedis } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { enabled, failures, newRead, readStream, sleep, startLoad, stopChild } from './support.ts';

const STREAM = 'echo?gapMs=50&chunks=80';
const price = (model: string): Price => ({
  provider: 'mock',
  model,
  effectiveFrom: '2026-01-01T00:00:00Z',
  input: '1',
  output: '2',
});

interface Group {
  name: string;
  redis: AofRedis;
  dataplane: DataplaneProcess;
}

describe.skipIf(!enabled)('game day: a region lost and failed over', () => {
  let config: ConfigDir;
  let a: Group;
  let b: Group;
  const started: { config?: ConfigDir; redis: AofRedis[]; dataplanes: DataplaneProcess[] } = {
    redis: [],
    dataplanes: [],
  };

  const group = async (name: string): Promise<Group> => {
    const redis = await startAofRedis();
    started.redis.push(redis);
    const dataplane = await spawnDataplane(config.dir, redis.url);
    started.dataplanes.push(dataplane);
    return { name, redis, dataplane };
  };

  beforeAll(async () => {
    config = await makeConfigDir({
      routes: {
        routes: [
          { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
          { alias: 'slow', targets: [{ name: 'slow', provider: 'mock', model: STREAM }] },
        ],
      },
      prompts: false,
    });
    started.config = config;
    const prices = [price('echo'), price(STREAM)];
    await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
    await config.write('budgets.yaml', {
      budgets: [{ tenant: 'acme', limits: { tokens: 100_000_000 } }],
    });
    a = await group('A');
    b = await group('B');
  });

  afterAll(async () => {
    for (const dataplane of started.dataplanes) await stopChild(dataplane.child);
    for (const redis of started.redis) await redis.stop();
    await started.config?.cleanup();
  });

  const get = async (g: Group, path: string, tenant: string) => {
    const response = await fetch(`${g.dataplane.url}${path}`, {
      headers: {
        authorization: `Bearer ${await config.token({ tenant })}`,
        'x-request-id': crypto.randomUUID(),
      },
    });
    expect(response.status).toBe(200);
    return response;
  };
  const spent = async (g: Group) =>
    (
      (await (await get(g, '/api/v1/tenants/acme/usage', 'acme')).json()) as {
        spent: { tokens: number };
      }
    ).spent.tokens;
  const chain = async (g: Group) => {
    const parsed = parseExport(
      await (await get(g, '/api/v1/audit/export?tenant=acme', 'auditor')).text(),
    );
    if (!parsed.ok) throw new Error(`line ${parsed.line}: ${parsed.reason}`);
    return parsed.lines;
  };
  const post = async (g: Group, path: string, body: object) =>
    fetch(`${g.dataplane.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token()}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
      },
      body: JSON.stringify(body),
    });

  it('serves from B after A is lost; what only A held is lost, said by figures', async () => {
    // (A check that fails for load alone would move clients early: the test would fail.)
    // The resolver: A while its /readyz answers, B after three failed checks in a row (bounded).
    let active = a;
    let failedOverAt = 0;
    const checking = new AbortController();
    const resolver = (async () => {
      let failed = 0;
      for (let i = 0; !checking.signal.aborted && active === a && i < 1000; i++) {
        const ok = await fetch(`${a.dataplane.url}/readyz`, { signal: AbortSignal.timeout(1000) })
          .then((r) => r.ok)
          .catch(() => false);
        failed = ok ? 0 : failed + 1;
        if (failed === 3) {
          active = b;
          failedOverAt = performance.now();
        } else if (ok) await sleep(200);
      }
    })();
    const token = await config.token();
    const load = startLoad({ url: () => active.dataplane.url, token: () => token });
    await sleep(1500);

    const streamed = await post(a, '/api/v1/inference:stream', {
      model: 'slow',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(streamed.status).toBe(200);
    const read = newRead();
    let lose: () => void = () => undefined;
    const tenth = new Promise<void>((resolve) => (lose = resolve));
    const reading = readStream(streamed, read, (r) => {
      if (r.offsets.length === 10) lose();
    });
    await tenth;
    const spentInA = await spent(a);
    const receiptsInA = (await chain(a)).filter((l) => l.type === 'receipt').length;

    // Region A lost: its dataplane and its Redis at once.
    const lostAt = performance.now();
    const exited = once(a.dataplane.child, 'exit');
    a.dataplane.child.kill('SIGKILL');
    await Promise.all([exited, a.redis.kill()]);
    await reading;

    // The client takes its resume token to B.
    const resume = await fetch(`${b.dataplane.url}/api/v1/inference:resume`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
        'last-event-id': String(read.offsets.at(-1) ?? 0),
      },
      body: JSON.stringify({ resume_token: read.token }),
    });
    const resumeAnswer = (await resume.json()) as { error?: { code?: string } };
    await sleep(2000);
    await load.stop();
    checking.abort();
    await resolver;

    const answers = load.answers;
    const fromB = answers.filter((a) => a.url === b.dataplane.url);
    const firstFromB = fromB.find((a) => a.status === 200);
    const rto = (firstFromB?.at ?? Infinity) - lostAt;
    const lostInA = answers.filter((x) => x.url === a.dataplane.url && x.status !== 200);
    const tokensServedByB = fromB.reduce((sum, x) => sum + x.tokens, 0);
    const spentInB = await spent(b);
    const chainB = await chain(b);
    const verdictB = verifyExport(chainB, new Map([['a1', config.auditKey]]));
    console.log(
      `gameday region-failover: A lost (dataplane and Redis SIGKILLed); the resolver moved to B ${(failedOverAt - lostAt).toFixed(0)} ms after the loss; ` +
        `RTO (loss to B's first answer) ${rto.toFixed(0)} ms (that answer took ${((firstFromB?.at ?? 0) - (firstFromB?.sent ?? 0)).toFixed(0)} ms, B's first traffic); ${answers.length} answers, lost in A: ${failures(lostInA)}, ` +
        `B served ${fromB.filter((x) => x.status === 200).length} (failed: ${failures(fromB)}); ` +
        `RPO: the stream (${read.offsets.length} of 80 chunks received) resumed on B: ${resume.status} ${resumeAnswer.error?.code ?? ''}; ` +
        `${spentInA} tokens spent in A not seen in B (B's spend ${spentInB} = its own ${tokensServedByB}); ` +
        `A's audit chain (${receiptsInA}+ receipts) left in A, B's own chain ${verdictB.ok ? `verified: receipts ${verdictB.from} to ${verdictB.to}` : `broken: ${verdictB.reason}`}`,
    );

    expect(failedOverAt).toBeGreaterThan(lostAt);
    expect(rto).toBeLessThan(5000);
    expect(fromB.filter((x) => x.status !== 200)).toEqual([]);
    // What failed was in flight in A or sent there before the resolver moved: none after it.
    expect(lostInA.filter((x) => x.sent > failedOverAt)).toEqual([]);
    expect(resumeAnswer.error?.code).toBe('INVALID_RESUME_TOKEN');
    expect(spentInB).toBe(tokensServedByB);
    expect(verdictB).toMatchObject({ ok: true, from: 1, to: fromB.length });
  }, 60_000);
});
