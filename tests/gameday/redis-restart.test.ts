// Game day: Redis killed and restarted under a steady load (`make gameday`, docs/gameday.md). A
// redis-server of the test's own (AOF on, `appendfsync always`, as docs/budgets.md and
// docs/batch.md ask of a production Redis) serves one real dataplane process; four clients post
// in a loop and one client reads a long stream. The Redis gets SIGKILL (its PID, from the handle
// that started it), stays down two seconds, and is started again on its port and directory. RTO:
// from the restart to the first answer served; RPO: tokens served but not charged, receipts
// missing from the audit chain (checked with the audit verifier) and stream chunks lost.
// Skipped unless GAMEDAY=1: it is not part of `make test`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import { parseExport } from '../../dataplane/src/audit/parse.ts';
import { main as verifyAudit } from '../../scripts/audit-verify.ts';
import { startAofRedis, type AofRedis } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { eventually } from '../support/eventually.ts';
import {
  enabled,
  failures,
  gaps,
  longestGap,
  newRead,
  readStream,
  sleep,
  startLoad,
  stopChild,
} from './support.ts';

const CHUNKS = 120;
const STREAM = `echo?gapMs=50&chunks=${CHUNKS}`;
const DOWN_MS = 2000;
const price = (model: string): Price => ({
  provider: 'mock',
  model,
  effectiveFrom: '2026-01-01T00:00:00Z',
  input: '1',
  output: '2',
});

describe.skipIf(!enabled)('game day: Redis killed and restarted under load', () => {
  let redis: AofRedis;
  let config: ConfigDir;
  let dataplane: DataplaneProcess;
  const started: { redis?: AofRedis; config?: ConfigDir; dataplane?: DataplaneProcess } = {};

  beforeAll(async () => {
    redis = await startAofRedis();
    started.redis = redis;
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
    dataplane = await spawnDataplane(config.dir, redis.url);
    started.dataplane = dataplane;
  });

  afterAll(async () => {
    await stopChild(started.dataplane?.child);
    await started.redis?.stop();
    await started.config?.cleanup();
  });

  /** A GET as tenant acme's own client (its usage) or an auditor (any tenant's chain). */
  const get = async (path: string, tenant = 'auditor') => {
    const response = await fetch(`${dataplane.url}${path}`, {
      headers: {
        authorization: `Bearer ${await config.token({ tenant })}`,
        'x-request-id': 'gameday',
      },
    });
    expect(response.status).toBe(200);
    return response;
  };
  const spent = async () => {
    const usage = (await (await get('/api/v1/tenants/acme/usage', 'acme')).json()) as {
      spent: { tokens: number };
      reserved: { tokens: number };
    };
    return { spent: usage.spent.tokens, reserved: usage.reserved.tokens };
  };
  const post = async (path: string, body: object, headers: object = {}) =>
    fetch(`${dataplane.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token()}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('serves again after the restart with spend, audit chain and streams intact', async () => {
    const token = await config.token();
    const load = startLoad({ url: () => dataplane.url, token: () => token });
    await sleep(1500);

    // The stream: Redis dies after its tenth chunk.
    const stream = newRead();
    let killedAt = 0;
    let killed: () => void = () => undefined;
    const kill = new Promise<void>((resolve) => (killed = resolve));
    const first = await post('/api/v1/inference:stream', {
      model: 'slow',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(first.status).toBe(200);
    const reading = readStream(first, stream, (read) => {
      if (read.offsets.length === 10 && killedAt === 0) killed();
    });
    await kill;
    const before = await spent();
    killedAt = performance.now();
    await redis.kill();
    await sleep(DOWN_MS);
    const restartedAt = performance.now();
    await redis.restart();
    const afterRestart = await eventually(() => spent().catch(() => undefined), 20_000);
    await reading;
    const onFirst = stream.offsets.length;

    // The client resumes after its last chunk until the stream ends (bounded tries).
    let resumes = 0;
    while (stream.end !== 'done' && resumes < 10) {
      resumes++;
      const resumed = await post(
        '/api/v1/inference:resume',
        { resume_token: stream.token },
        { 'last-event-id': String(stream.offsets.at(-1) ?? 0) },
      );
      if (resumed.status !== 200) {
        await resumed.arrayBuffer();
        await sleep(200);
        continue;
      }
      stream.end = '';
      await readStream(resumed, stream);
    }
    await sleep(2000);
    await load.stop();

    const answers = load.answers;
    const served = answers.filter((a) => a.status === 200);
    const firstServed = served.find((a) => a.at > restartedAt);
    const rto = (firstServed?.at ?? Infinity) - restartedAt;
    // Requests sent while Redis was down wait in the client's offline queue (ioredis's default).
    const sentWhileDown = answers.filter((a) => a.sent > killedAt && a.sent < restartedAt);
    const longestWait = Math.max(0, ...served.map((a) => a.at - a.sent));

    // Budgets: every token served, the stream's included, is charged once settlements drain.
    const servedTokens = served.reduce((sum, a) => sum + a.tokens, 0) + stream.tokens;
    const settled = await eventually(async () => {
      const now = await spent();
      return now.reserved === 0 && now.spent >= servedTokens ? now : undefined;
    }, 20_000).catch(() => undefined);
    const final = settled ?? (await spent());

    // The audit chain: exported, verified with scripts/audit-verify.ts and the published keys.
    const exported = await (await get('/api/v1/audit/export?tenant=acme')).text();
    const dir = await mkdtemp(join(tmpdir(), 'gameday-audit-'));
    await writeFile(join(dir, 'acme.ndjson'), exported);
    await writeFile(join(dir, 'keys.json'), await (await get('/api/v1/audit/keys')).text());
    const verdict = verifyAudit([join(dir, 'acme.ndjson'), '--jwks', join(dir, 'keys.json')]);
    await rm(dir, { recursive: true, force: true });
    const parsed = parseExport(exported);
    const receipts = new Set(
      parsed.ok
        ? parsed.lines.flatMap((l) =>
            l.type === 'receipt' ? [String(l.receipt['request_id'])] : [],
          )
        : [],
    );
    const unreceipted = served.filter((a) => !receipts.has(a.id));
    const chunks = gaps(stream.offsets, CHUNKS);

    console.log(
      `gameday redis-restart: Redis (AOF, appendfsync always) SIGKILLed, down ${DOWN_MS} ms; ` +
        `${answers.length} answers, ${served.length} served, failed: ${failures(answers)}; ` +
        `RTO (restart to the first answer served) ${rto.toFixed(0)} ms, longest gap between served answers ${longestGap(answers).toFixed(0)} ms, ` +
        `${sentWhileDown.length} requests sent while down (${failures(sentWhileDown)} failed), longest answer ${longestWait.toFixed(0)} ms; ` +
        `spend ${before.spent} tokens before the kill, ${afterRestart.spent} read after the restart, ${final.spent} settled ` +
        `against ${servedTokens} served (RPO ${servedTokens - final.spent} tokens uncharged), ${final.reserved} still reserved; ` +
        `audit: ${verdict.output}, ${unreceipted.length} served answers without a receipt; ` +
        `stream: ${onFirst} chunks before it was cut (${stream.errorCode || 'no error event'}), ${resumes} resumes, ` +
        `${chunks.missing.length} missing, ${chunks.repeated} repeated, ended with ${stream.end || 'nothing'}`,
    );

    expect(afterRestart.spent).toBeGreaterThanOrEqual(before.spent);
    expect(rto).toBeLessThan(10_000);
    expect(final).toEqual({ spent: servedTokens, reserved: 0 });
    expect(verdict.code).toBe(0);
    expect(unreceipted).toEqual([]);
    expect(chunks).toEqual({ missing: [], repeated: 0 });
    expect(stream.end).toBe('done');
  }, 90_000);
});
