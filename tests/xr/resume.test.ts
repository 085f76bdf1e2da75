import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { readSse, type SseEvent } from '../support/sse.ts';
import type { Frame } from '../voice/support.ts';
import { ANCHORS, HEAD, toward, XrClient } from './support.ts';

/** A sandbox tenant: every answer is the mock's, one word per chunk, 60 ms apart. */
const TENANT = 'xr-sandbox';
const ANSWER = [
  'The vase is here.',
  '<action>{"type":"highlight","anchor_id":"vase-2"}</action>',
  'It holds water.',
  '<action>{"type":"annotate","anchor_id":"vase-2","text":"the blue vase"}</action>',
  '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
  'That is all.',
].join(' ');
const SHOWN = 'The vase is here.  It holds water.   That is all.';
const ACTIONS = [
  { type: 'highlight', anchor_id: 'vase-2' },
  { type: 'annotate', anchor_id: 'vase-2', text: 'the blue vase' },
];
const IDS = ANCHORS.map((anchor) => anchor.id);

let config: ConfigDir;
let redis: Redis;
let app: FastifyInstance;
let http = '';
let token = '';

beforeAll(async () => {
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 60_000 },
      sandbox: {
        tenants: [TENANT],
        model: `fixed?text=${encodeURIComponent(ANSWER)}&gapMs=60`,
      },
    },
  });
  redis = new Redis(inject('redisUrl'));
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    env: { ...process.env },
  });
  http = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token({ tenant: TENANT });
});

afterAll(async () => {
  await app.close();
  redis.disconnect();
  await config.cleanup();
});

const auth = () => ({ authorization: `Bearer ${token}` });
const is = (type: string) => (frame: Frame) => frame.type === type;
const isAnswer = (frame: Frame) => frame.type === 'final' && frame.source === 'answer';

async function open(): Promise<XrClient> {
  const client = new XrClient(`${http.replace(/^http/, 'ws')}/api/v1/xr/ws`, { headers: auth() });
  await client.opened;
  return client;
}

/** The scene, a gaze on the vase, and one utterance: the turn's transcript frame. */
async function ask(client: XrClient): Promise<Frame> {
  client.frame('anchors', { upsert: ANCHORS }, 1);
  client.frame('pose', { head: HEAD }, 10);
  client.frame('gaze', { origin: HEAD.position, direction: toward([0, 1, -2]) }, 10);
  client.frame('voice_vad', { state: 'end', text: 'what is this', start_ts: 10 }, 20);
  return client.next((frame) => frame.type === 'final' && frame.source === 'transcript');
}

/** What a client shows of an answer: partial texts and actions in order, with their offsets. */
function shown(frames: readonly Frame[]) {
  const answer = frames.filter((frame) => frame.type === 'partial' || frame.type === 'action');
  return {
    text: answer.map((frame) => (frame.type === 'partial' ? (frame.text as string) : '')).join(''),
    actions: answer.filter(is('action')).map((frame) => frame.action),
    offsets: answer.map((frame) => [frame.type, frame.offset as number]),
  };
}

async function sample(series: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('an XR answer resumed on the socket', () => {
  it('gives the uncut run’s text and actions, each once, after the socket is cut mid-answer', async () => {
    const whole = await open();
    await whole.session();
    await ask(whole);
    await whole.next(isAnswer);
    const uncut = shown(whole.frames);
    whole.close();
    expect(uncut.text).toBe(SHOWN);
    expect(uncut.actions).toEqual(ACTIONS);

    const first = await open();
    const { session_key: key } = await first.session();
    const transcript = await ask(first);
    await first.next(is('action'));
    first.socket.terminate();
    await first.closed;
    const before = shown(first.frames);
    expect(first.frames.some(isAnswer)).toBe(false);
    const after = Math.max(...before.offsets.map(([, offset]) => offset as number));

    const second = await open();
    await second.session();
    second.frame('resume', { session_key: key, resume_token: transcript.resume_token, after }, 30);
    const final = await second.next(isAnswer);
    const rest = shown(second.frames);
    expect(before.text + rest.text).toBe(SHOWN);
    expect([...before.actions, ...rest.actions]).toEqual(ACTIONS);
    expect([...before.offsets, ...rest.offsets]).toEqual(uncut.offsets);
    expect(final.text).toBe(SHOWN);
    second.close();
  });
});

describe('POST /api/v1/xr:resume', () => {
  const frames = [
    { type: 'pose', data: { head: HEAD }, ts: 0 },
    { type: 'gaze', data: { origin: HEAD.position, direction: toward([0, 1, -2]) }, ts: 0 },
  ];
  const post = (
    path: string,
    body: object,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ) =>
    fetch(`${http}${path}`, {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'application/json',
        'x-request-id': `xr-resume-${Math.random()}`,
        ...headers,
      },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  const ask = (signal?: AbortSignal) =>
    post(
      '/api/v1/xr:stream',
      { anchors: ANCHORS, frames, utterance: { text: 'what is this', start_ts: 0 } },
      {},
      signal,
    );

  /** Reads events until `stop` says so (then cuts the connection) or the stream ends. */
  async function read(
    response: Response,
    stop: (event: SseEvent) => boolean,
    cut?: AbortController,
  ) {
    const events: SseEvent[] = [];
    try {
      for await (const event of readSse(response.body!)) {
        events.push(event);
        if (stop(event)) {
          cut?.abort();
          break;
        }
      }
    } catch (error) {
      if (!(cut?.signal.aborted ?? false)) throw error;
    }
    return events;
  }
  const answerOf = (events: readonly SseEvent[]) => ({
    text: events
      .filter((e) => e.event === 'data')
      .map((e) => (JSON.parse(e.data) as { text: string }).text)
      .join(''),
    actions: events
      .filter((e) => e.event === 'action')
      .map((e) => (JSON.parse(e.data) as { action: unknown }).action),
  });

  it('gives the rest of the answer after Last-Event-ID, markup out and actions once, as the uncut stream', async () => {
    const uncut = await read(await ask(), () => false);
    expect(answerOf(uncut)).toEqual({ text: SHOWN, actions: ACTIONS });

    const cut = new AbortController();
    const events = await read(await ask(cut.signal), (e) => e.event === 'action', cut);
    const { resume_token: resumeToken } = JSON.parse(events[0]!.data) as { resume_token: string };
    const lastId = events.findLast((e) => e.id !== undefined)!.id!;
    const resumed = await post(
      '/api/v1/xr:resume',
      { resume_token: resumeToken, anchor_ids: IDS },
      { 'last-event-id': lastId },
    );
    expect(resumed.status).toBe(200);
    const rest = await read(resumed, () => false);
    const joined = answerOf([...events, ...rest]);
    expect(joined).toEqual({ text: SHOWN, actions: ACTIONS });
    expect(rest.map((e) => e.event)[0]).toBe('resume');
    expect(rest.map((e) => e.event)).not.toContain('referent');
    expect(rest.at(-1)!.event).toBe('done');
    const ids = [...events, ...rest].flatMap((e) => (e.id === undefined ? [] : [Number(e.id)]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('checks actions against the anchors the resume names, and refuses a bad token by its code', async () => {
    const events = await read(await ask(), () => false);
    const { resume_token: resumeToken } = JSON.parse(events[0]!.data) as { resume_token: string };
    const none = await read(
      await post('/api/v1/xr:resume', { resume_token: resumeToken, anchor_ids: [] }),
      () => false,
    );
    expect(answerOf(none)).toEqual({ text: SHOWN, actions: [] });
    const refused = await post('/api/v1/xr:resume', { resume_token: 'nope', anchor_ids: [] });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'INVALID_RESUME_TOKEN',
    );
  });
});

describe('the surface label', () => {
  it('counts an XR answer on surface xr, not voice', async () => {
    const xr = `inference_sandbox_requests_total{tenant="${TENANT}",surface="xr"}`;
    const voice = `inference_sandbox_requests_total{tenant="${TENANT}",surface="voice"}`;
    const [xrBefore, voiceBefore] = [await sample(xr), await sample(voice)];
    const client = await open();
    await client.session();
    await ask(client);
    await client.next(isAnswer);
    client.close();
    await expect.poll(() => sample(xr)).toBe(xrBefore + 1);
    expect(await sample(voice)).toBe(voiceBefore);
    expect(voiceBefore).toBe(0);
  });
});
