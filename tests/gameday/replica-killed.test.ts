// Game day: a dataplane replica killed mid-stream (`make gameday`, docs/gameday.md). Two real
// dataplane processes share a config contract and the run's Redis (the stream log lives there);
// a client streams from the first, which gets SIGTERM (what Kubernetes sends a deleted pod) part
// way through. The client resumes on the second with its last resume token and Last-Event-ID.
// RTO: from the signal to the first chunk from the second replica; RPO: chunks missing or
// repeated in what the client put together. Skipped unless GAMEDAY=1: not part of `make test`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { readSse } from '../support/sse.ts';

const enabled = process.env['GAMEDAY'] === '1';
const CHUNKS = 80;

describe.skipIf(!enabled)('game day: a dataplane replica killed mid-stream', () => {
  let config: ConfigDir;
  let first: DataplaneProcess;
  let second: DataplaneProcess;
  const started: { config?: ConfigDir; processes: DataplaneProcess[] } = { processes: [] };

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
    });
    started.config = config;
    first = await spawnDataplane(config.dir, inject('redisUrl'));
    started.processes.push(first);
    second = await spawnDataplane(config.dir, inject('redisUrl'));
    started.processes.push(second);
  });

  afterAll(async () => {
    for (const { child } of started.processes) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await started.config?.cleanup();
  });

  const post = async (url: string, path: string, body: object, headers: object = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token()}`,
        'content-type': 'application/json',
        'x-request-id': randomUUID(),
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('resumes on the other replica with no chunk lost or repeated', async () => {
    const response = await post(first.url, '/api/v1/inference:stream', {
      model: 'slow',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(response.status).toBe(200);
    const offsets: number[] = [];
    let token = '';
    let killedAt = 0;
    let endedOnFirst = '';
    for await (const event of readSse(response.body!)) {
      if (event.event === 'resume')
        token = (JSON.parse(event.data) as { resume_token: string }).resume_token;
      if (event.event === 'data') offsets.push(Number(event.id));
      if (offsets.length === 10 && killedAt === 0) {
        killedAt = performance.now();
        first.child.kill('SIGTERM');
      }
      if (event.event === 'done' || event.event === 'error') {
        endedOnFirst = event.event;
        break;
      }
    }
    const onFirst = offsets.length;
    const resumed = await post(
      second.url,
      '/api/v1/inference:resume',
      { resume_token: token },
      { 'last-event-id': String(offsets.at(-1) ?? 0) },
    );
    expect(resumed.status).toBe(200);
    let firstChunkAt = 0;
    let last = '';
    for await (const event of readSse(resumed.body!)) {
      if (event.event === 'data') {
        if (firstChunkAt === 0) firstChunkAt = performance.now();
        offsets.push(Number(event.id));
      }
      last = event.event;
      if (last === 'done' || last === 'error') break;
    }
    const expected = Array.from({ length: CHUNKS }, (_, i) => i + 1);
    const missing = expected.filter((o) => !offsets.includes(o));
    const repeated = offsets.length - new Set(offsets).size;
    console.log(
      `gameday replica-killed: ${onFirst} chunks from the first replica (SIGTERM after 10; it ended the stream with ${endedOnFirst === '' ? 'its resume event' : endedOnFirst}), ` +
        `${offsets.length - onFirst} from the second; RTO (signal to the second's first chunk) ${(firstChunkAt - killedAt).toFixed(0)} ms; ` +
        `RPO ${missing.length} chunks missing, ${repeated} repeated; it ended with ${last}`,
    );
    expect(missing).toEqual([]);
    expect(repeated).toBe(0);
    expect(last).toBe('done');
  }, 60_000);
});
