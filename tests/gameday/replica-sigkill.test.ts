// Game day: a dataplane replica SIGKILLed mid-stream (`make gameday`, docs/gameday.md): a lost
// node or an OOM kill, with no drain. Two real dataplane processes share a config contract and
// the run's Redis; four clients post in a loop, two to each replica, those of the first moving to
// the second when their connection fails (as a Service does once the pod is gone). A client
// streams from the first, which gets SIGKILL after the tenth chunk. The client resumes on the
// second with its resume token and Last-Event-ID, gives up after two seconds without data (no
// producer is left to write the rest), and asks again there. RTO: from the kill to the first
// chunk of the answer asked again; RPO: the sync answers lost in flight, the chunks the dead
// producer never wrote, and whether what it did write reached the client whole. Skipped unless
// GAMEDAY=1: it is not part of `make test`.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseExport } from '../../dataplane/src/audit/parse.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { eventually } from '../support/eventually.ts';
import {
  enabled,
  failures,
  gaps,
  newRead,
  readStream,
  sleep,
  startLoad,
  stopChild,
} from './support.ts';

const CHUNKS = 80;
const IDLE_MS = 2000;

describe.skipIf(!enabled)('game day: a dataplane replica SIGKILLed mid-stream', () => {
  let config: ConfigDir;
  let first: DataplaneProcess;
  let second: DataplaneProcess;
  let redis: Redis;
  const started: { config?: ConfigDir; processes: DataplaneProcess[]; redis?: Redis } = {
    processes: [],
  };

  beforeAll(async () => {
    config = await makeConfigDir({
      routes: {
        routes: [
          { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
          {
            alias: 'slow',
            targets: [{ name: 'slow', provider: 'mock', model: `echo?gapMs=50&chunks=${CHUNKS}` }],
          },
        ],
      },
      // A short request deadline and lease, so the sweep records the killed stream promptly.
      gateway: {
        limits: { requestTimeoutMs: 10_000 },
        audit: { sweepIntervalS: 1, leaseMarginS: 1 },
      },
      prompts: false,
    });
    started.config = config;
    first = await spawnDataplane(config.dir, inject('redisUrl'));
    started.processes.push(first);
    second = await spawnDataplane(config.dir, inject('redisUrl'));
    started.processes.push(second);
    redis = new Redis(inject('redisUrl'));
    started.redis = redis;
  });

  afterAll(async () => {
    for (const { child } of started.processes) await stopChild(child);
    started.redis?.disconnect();
    await started.config?.cleanup();
  });

  /**
   * A streaming POST; with headerMs, the client gives up after that long without the response's
   * headers (undefined).
   */
  const stream = async (
    url: string,
    path: string,
    body: object,
    headers: object = {},
    headerMs?: number,
  ) => {
    const controller = new AbortController();
    const timer =
      headerMs === undefined
        ? undefined
        : setTimeout(() => {
            controller.abort();
          }, headerMs);
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token()}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
        ...headers,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    })
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
      });
    return { response, idle: { controller, ms: IDLE_MS } };
  };
  const ask = { model: 'slow', messages: [{ role: 'user', content: 'hello' }] };

  it('loses the unwritten rest of the stream, nothing it wrote, and serves it again on the other replica', async () => {
    const token = await config.token();
    let killed = false;
    const onFirst = startLoad({
      url: () => (killed ? second.url : first.url),
      token: () => token,
      clients: 2,
    });
    const onSecond = startLoad({ url: () => second.url, token: () => token, clients: 2 });
    await sleep(1500);

    const started = await stream(first.url, '/api/v1/inference:stream', ask);
    expect(started.response?.status).toBe(200);
    const requestId = started.response?.headers.get('x-request-id') ?? '';
    const read = newRead();
    const exited = once(first.child, 'exit');
    let killedAt = 0;
    await readStream(started.response!, read, (r) => {
      if (r.offsets.length === 10 && killedAt === 0) {
        killedAt = performance.now();
        killed = true;
        first.child.kill('SIGKILL');
      }
    });
    await exited;
    const fromFirst = read.offsets.length;
    const written = await redis.xlen(`stream:{${read.streamId}}:events`);

    // Resume on the survivor: it serves what Redis holds, then waits for a producer that is gone
    // (with nothing after the offset, it sends not even the response headers: the client gives up).
    const resumed = await stream(
      second.url,
      '/api/v1/inference:resume',
      { resume_token: read.token },
      { 'last-event-id': String(read.offsets.at(-1) ?? 0) },
      IDLE_MS,
    );
    const resumeStatus = resumed.response?.status ?? 0;
    if (resumed.response !== undefined)
      await readStream(resumed.response, read, undefined, resumed.idle);
    const resumedChunks = read.offsets.length - fromFirst;
    const delivered = gaps(read.offsets, read.offsets.length);

    // The client gives up and asks again on the survivor.
    const again = await fetch(`${second.url}/api/v1/inference:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
      },
      body: JSON.stringify(ask),
    });
    const retry = newRead();
    let firstChunkAt = 0;
    await readStream(again, retry, () => {
      if (firstChunkAt === 0) firstChunkAt = performance.now();
    });
    await sleep(500);
    await Promise.all([onFirst.stop(), onSecond.stop()]);

    // The survivor's sweep writes the killed stream's receipt once its lease runs out.
    const receipt = await eventually(
      async () => {
        const response = await fetch(`${second.url}/api/v1/audit/export?tenant=acme`, {
          headers: {
            authorization: `Bearer ${await config.token({ tenant: 'auditor' })}`,
            'x-request-id': 'gameday-export',
          },
        });
        const parsed = parseExport(await response.text());
        if (!parsed.ok) return undefined;
        const line = parsed.lines.find(
          (l) => l.type === 'receipt' && l.receipt['request_id'] === requestId,
        );
        return line?.type === 'receipt' ? line.receipt : undefined;
      },
      30_000,
      500,
    );
    const receiptAt = performance.now();

    const answers = [...onFirst.answers, ...onSecond.answers];
    const lost = answers.filter((a) => a.status !== 200);
    const rto = firstChunkAt - killedAt;
    console.log(
      `gameday replica-sigkill: ${fromFirst} chunks from the first replica before SIGKILL, Redis held ${written} events of the stream, ` +
        `the resume on the second ${resumeStatus === 0 ? `sent no headers within ${IDLE_MS} ms` : `answered ${resumeStatus}`} and ${resumedChunks} more chunks, ` +
        `then none for ${IDLE_MS} ms (the stream ${read.end === '' ? 'did not end' : `ended with ${read.end}`}); ` +
        `delivered ${read.offsets.length} chunks, ${delivered.missing.length} missing and ${delivered.repeated} repeated among them; ` +
        `RPO ${CHUNKS - read.offsets.length} chunks never written (the answer asked again: ${retry.offsets.length} chunks, ${retry.end}), ` +
        `${lost.length} of ${answers.length} sync answers lost (${failures(answers)}); ` +
        `RTO (kill to the first chunk asked again) ${rto.toFixed(0)} ms; the receipt says ${String(receipt['outcome'])} ` +
        `${((receiptAt - killedAt) / 1000).toFixed(1)} s after the kill`,
    );

    expect(read.offsets.length).toBe(written);
    expect(delivered).toEqual({ missing: [], repeated: 0 });
    expect(retry.offsets.length).toBe(CHUNKS);
    expect(retry.end).toBe('done');
    expect(receipt['outcome']).toBe('interrupted');
    expect(lost.length).toBeLessThanOrEqual(2);
    expect(rto).toBeLessThan(10_000);
  }, 90_000);
});
