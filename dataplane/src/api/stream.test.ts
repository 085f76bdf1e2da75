import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { readSse, type SseEvent } from '../../../tests/support/sse.ts';
import { buildApp } from '../app.ts';

let config: ConfigDir;
let app: FastifyInstance;
let base: string;
let token: string;

beforeAll(async () => {
  config = await makeConfigDir({
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'slow',
          targets: [{ name: 'slow', provider: 'mock', model: 'fixed?text=a+b+c+d+e+f&gapMs=40' }],
        },
        {
          alias: 'slower',
          targets: [
            { name: 'slower', provider: 'mock', model: 'fixed?text=a+b+c+d+e+f&gapMs=150' },
          ],
        },
        {
          alias: 'broken',
          targets: [{ name: 'b', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' }],
          retry: { maxAttempts: 1 },
        },
        {
          alias: 'midway',
          targets: [{ name: 'm', provider: 'mock', model: 'echo?failAfter=2' }],
          retry: { maxAttempts: 1 },
        },
      ],
    },
    gateway: { defaultModel: 'chat', streams: { heartbeatMs: 50 } },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'x-request-id': 'stream-1',
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function events(
  response: Response,
  until?: (event: SseEvent) => boolean,
): Promise<SseEvent[]> {
  const all: SseEvent[] = [];
  for await (const event of readSse(response.body!)) {
    all.push(event);
    if (until?.(event) === true) break;
  }
  return all;
}

const texts = (all: SseEvent[]) =>
  all
    .filter((event) => event.event === 'data')
    .map((event) => (JSON.parse(event.data) as { text: string }).text);

describe('POST /api/v1/inference:stream', () => {
  it('streams data events numbered by offset, then done with usage', async () => {
    const response = await post('/api/v1/inference:stream', {
      messages: [{ role: 'user', content: 'a b' }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-request-id')).toBe('stream-1');
    const all = await events(response);
    expect(all[0]?.event).toBe('resume');
    expect(texts(all).join('')).toBe('Echo: a b');
    expect(all.filter((event) => event.event === 'data').map((event) => event.id)).toEqual([
      '1',
      '2',
      '3',
    ]);
    const done = all.at(-1)!;
    expect(done.event).toBe('done');
    expect(JSON.parse(done.data)).toMatchObject({
      finish_reason: 'stop',
      usage: { output_tokens: 3 },
      request_id: 'stream-1',
    });
  });

  it('answers a plain HTTP error when the route fails before the first chunk', async () => {
    const response = await post('/api/v1/inference:stream', {
      model: 'broken',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true },
    });
  });

  it('ends with an error event carrying the retryable flag when the provider fails mid-stream', async () => {
    const response = await post('/api/v1/inference:stream', {
      model: 'midway',
      messages: [{ role: 'user', content: 'one two three' }],
    });
    const all = await events(response);
    expect(texts(all).join('')).toBe('Echo: one');
    const last = all.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      details: { partial: true },
    });
  });

  it('sends heartbeats and fresh resume tokens while waiting', async () => {
    const response = await post('/api/v1/inference:stream', {
      model: 'slow',
      messages: [{ role: 'user', content: 'x' }],
    });
    const all = await events(response);
    expect(all.some((event) => event.event === 'heartbeat')).toBe(true);
    expect(all.filter((event) => event.event === 'resume').length).toBeGreaterThan(1);
  });
});

describe('resuming a stream', () => {
  async function startAndLeave(afterData: number, model = 'slow') {
    const response = await post(
      '/api/v1/inference:stream',
      { model, messages: [{ role: 'user', content: 'x' }] },
      {},
    );
    const seen: SseEvent[] = [];
    let token = '';
    for await (const event of readSse(response.body!)) {
      seen.push(event);
      if (event.event === 'resume')
        token = (JSON.parse(event.data) as { resume_token: string }).resume_token;
      if (seen.filter((e) => e.event === 'data').length === afterData) break;
    }
    return { seen, token };
  }

  it('replays exactly the chunks after Last-Event-ID, then the live tail', async () => {
    const { seen, token: resumeToken } = await startAndLeave(2);
    expect(seen.filter((event) => event.event === 'data').map((event) => event.id)).toEqual([
      '1',
      '2',
    ]);
    const resumed = await post(
      '/api/v1/inference:resume',
      { resume_token: resumeToken },
      { 'last-event-id': '2' },
    );
    expect(resumed.status).toBe(200);
    const rest = await events(resumed);
    const ids = rest.filter((event) => event.event === 'data').map((event) => Number(event.id));
    expect(ids[0]).toBe(3);
    expect(ids).toEqual(ids.map((_, index) => 3 + index));
    expect(texts(seen).join('') + texts(rest).join('')).toBe('a b c d e f');
    expect(rest.at(-1)?.event).toBe('done');
  });

  it('replays from the offset in the token when no Last-Event-ID is sent', async () => {
    const { token: resumeToken } = await startAndLeave(1);
    const rest = await events(
      await post('/api/v1/inference:resume', { resume_token: resumeToken }),
    );
    expect(texts(rest).join('')).toBe('a b c d e f');
  });

  it('long-polls with poll_ms: each response ends early with a poll resume, and the loop gets every chunk once', async () => {
    const { token: first } = await startAndLeave(0, 'slower');
    let resumeToken = first;
    let last = 0;
    const ids: number[] = [];
    const reasons: (string | undefined)[] = [];
    let text = '';
    for (let poll = 0; poll < 50 && !ids.includes(7); poll++) {
      const response = await post(
        '/api/v1/inference:resume',
        { resume_token: resumeToken, poll_ms: 100 },
        { 'last-event-id': String(last) },
      );
      expect(response.status).toBe(200);
      const all = await events(response);
      const closing = all.at(-1);
      if (closing?.event === 'resume') {
        const data = JSON.parse(closing.data) as { resume_token: string; reason?: string };
        resumeToken = data.resume_token;
        reasons.push(data.reason);
      }
      for (const event of all.filter((each) => each.id !== undefined)) {
        ids.push(Number(event.id));
        last = Number(event.id);
      }
      text += texts(all).join('');
    }
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(text).toBe('a b c d e f');
    // The 900 ms answer took more than one 100 ms poll; each one before the end said so.
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((reason) => reason === 'poll')).toBe(true);
  });

  it('refuses a poll_ms below 100 ms by name', async () => {
    // Refused before the token is read: no stream needed.
    const response = await post('/api/v1/inference:resume', {
      resume_token: 'any',
      poll_ms: 10,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', param: 'poll_ms' },
    });
  });

  it('refuses a tampered token with 401', async () => {
    const { token: resumeToken } = await startAndLeave(1);
    const tampered = `${resumeToken.slice(0, -2)}AA`;
    const response = await post('/api/v1/inference:resume', { resume_token: tampered });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'INVALID_RESUME_TOKEN' } });
  });

  it('refuses a resume by another tenant with 401', async () => {
    const { token: resumeToken } = await startAndLeave(1);
    const other = await config.token({ tenant: 'globex' });
    const response = await post(
      '/api/v1/inference:resume',
      { resume_token: resumeToken },
      { authorization: `Bearer ${other}` },
    );
    expect(response.status).toBe(401);
  });
});

describe('the stream SLIs in /metrics', () => {
  /** The value of one series of /metrics, 0 when absent. */
  async function sample(series: string): Promise<number> {
    const text = (await app.inject({ url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
  const completed = 'inference_streams_total{outcome="completed",code=""}';
  const failed = 'inference_streams_total{outcome="failed",code="UPSTREAM_UNAVAILABLE"}';
  const resumes = (result: string) => `inference_stream_resumes_total{result="${result}"}`;

  it('count a stream that ends with done as completed', async () => {
    const before = await sample(completed);
    await events(
      await post('/api/v1/inference:stream', { messages: [{ role: 'user', content: 'a' }] }),
    );
    await expect.poll(() => sample(completed)).toBe(before + 1);
  });

  it('count a stream that ends with an error as failed, with its code', async () => {
    const before = await sample(failed);
    await events(
      await post('/api/v1/inference:stream', {
        model: 'midway',
        messages: [{ role: 'user', content: 'a b c d' }],
      }),
    );
    await expect.poll(() => sample(failed)).toBe(before + 1);
  });

  it('count resumes served, and refused ones as invalid or expired', async () => {
    const response = await post('/api/v1/inference:stream', {
      model: 'slow',
      messages: [{ role: 'user', content: 'x' }],
    });
    const first = await events(response, (event) => event.event === 'resume');
    const resumeToken = (JSON.parse(first[0]!.data) as { resume_token: string }).resume_token;
    const before = {
      served: await sample(resumes('served')),
      invalid: await sample(resumes('invalid')),
      expired: await sample(resumes('expired')),
    };
    await events(await post('/api/v1/inference:resume', { resume_token: resumeToken }));
    await post('/api/v1/inference:resume', { resume_token: `${resumeToken.slice(0, -2)}AA` });
    await post(
      '/api/v1/inference:resume',
      { resume_token: resumeToken },
      { authorization: `Bearer ${await config.token({ tenant: 'globex' })}` },
    );
    expect(await sample(resumes('served'))).toBe(before.served + 1);
    expect(await sample(resumes('invalid'))).toBe(before.invalid + 1);
    expect(await sample(resumes('expired'))).toBe(before.expired + 1);
  });
});
