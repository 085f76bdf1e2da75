import { randomUUID } from 'node:crypto';
// The voice session over HTTP long-poll (/api/v1/voice/polls): the socket's session and frames,
// its uplink POSTed in batches, its downlink read by polls that acknowledge with `after`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFrames, speak } from './speech.ts';
import { startSidecar, type Sidecar } from './stt-sidecar.ts';
import { eventually } from '../support/eventually.ts';
import { call, PollClient, type Numbered } from './poll-client.ts';
import { startVoiceApp, type Frame, type VoiceApp } from './support.ts';

let sidecar: Sidecar;
let voice: VoiceApp;
let token: string;

beforeAll(async () => {
  sidecar = await startSidecar();
  voice = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=40&gapMs=15' }],
      },
    ],
    env: {
      VOICE_STT_URL: sidecar.url,
      VOICE_WS_MAX_FRAME_BYTES: '4096',
      VOICE_ALLOWED_ORIGINS: 'https://app.example',
    },
  });
  token = await voice.token();
});

afterAll(async () => {
  await voice.stop();
  await sidecar.stop();
});

const open = () => PollClient.open(voice.http, token);

/** The sessions the gateway says it keeps (inference_voice_poll_sessions). */
async function pollSessions(): Promise<number> {
  const text = await (await fetch(`${voice.http}/metrics`)).text();
  return Number(/^inference_voice_poll_sessions (\d+)$/m.exec(text)?.[1]);
}
const transcriptOf = (frame: Frame) => frame.type === 'final' && frame.source === 'transcript';
const isFinalAnswer = (frame: Frame) => frame.type === 'final' && frame.source === 'answer';

describe('speech through the long-poll form', () => {
  it('is transcribed with the spoken words and answered', async () => {
    const client = await open();
    const frames = audioFrames(await speak('what is the weather in london'));
    for (let at = 0; at < frames.length; at += 10) await client.send(...frames.slice(at, at + 10));
    const transcript = await client.next(transcriptOf, 30_000);
    expect(String(transcript.text).toLowerCase()).toMatch(/weather in london/);
    expect(transcript.session_id).toBe(client.id);
    const answer = await client.next(
      (frame) => isFinalAnswer(frame) && frame.turn_id === transcript.turn_id,
      30_000,
    );
    expect(String(answer.text).toLowerCase()).toContain('weather');
    await client.close();
  });
});

describe('a long-polled session', () => {
  it('answers a frame that breaks the contract with an error frame naming the field, and goes on', async () => {
    const client = await open();
    await client.send(
      { type: 'video', seq: 1 },
      { type: 'audio', codec: 'pcm16', seq: 2, payload: '***', ts: 0 },
      { type: 'audio', codec: 'pcm16', seq: 3, payload: 'AAAA', ts: 0 },
      { type: 'control', seq: 4, ts: 0, payload: { action: 'text', text: 'a'.repeat(5000) } },
    );
    expect(await client.next((frame) => frame.seq === 1)).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      field: '/type',
    });
    expect(await client.next((frame) => frame.seq === 2)).toMatchObject({
      code: 'BAD_REQUEST',
      field: '/payload',
    });
    expect(await client.next((frame) => frame.seq === 3)).toMatchObject({
      code: 'BAD_REQUEST',
      field: '/payload',
      message: 'The payload is not pcm16 audio.',
    });
    expect(await client.next((frame) => frame.code === 'PAYLOAD_TOO_LARGE')).toMatchObject({
      details: { limit_bytes: 4096 },
    });
    await client.text('still here', 5);
    expect((await client.next(isFinalAnswer)).text).toContain('still here');
    await client.close();
  });

  it('gives every frame once, numbered in order, across polls that acknowledge with after', async () => {
    const client = await open();
    await client.text('one two three four');
    const final = await client.next(isFinalAnswer);
    const numbers = client.numbered.map(({ n }) => n);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    const partials = client.frames.filter((frame) => frame.type === 'partial');
    expect(partials.map((frame) => frame.offset)).toEqual(partials.map((_, index) => index + 1));
    expect(partials.map((frame) => frame.text).join('')).toBe(final.text);
    await client.close();
  });

  it('answers a repeated poll (a lost answer) with the same frames, and forgets them once acknowledged', async () => {
    const client = await open();
    await client.text('hello');
    const unacknowledged = async () =>
      (await call(`${client.base}/frames?after=0&wait_ms=1000`, token)).body[
        'frames'
      ] as Numbered[];
    const whole = await eventually(async () => {
      const frames = await unacknowledged();
      return frames.some(({ frame }) => isFinalAnswer(frame)) && frames;
    });
    expect(await unacknowledged()).toEqual(whole);
    const later = await call(`${client.base}/frames?after=2&wait_ms=0`, token);
    expect(later.body['frames']).toEqual(whole.filter(({ n }) => n > 2));
    const last = whole.at(-1)!.n;
    const acknowledged = await call(`${client.base}/frames?after=${last}&wait_ms=0`, token);
    expect(acknowledged.body).toEqual({ frames: [], ended: false });
    const behind = await call(`${client.base}/frames?after=2&wait_ms=0`, token);
    expect(behind.status).toBe(400);
    expect(behind.body['error']).toMatchObject({
      code: 'BAD_REQUEST',
      details: { path: 'querystring.after', acknowledged: last },
    });
    await client.close();
  });

  it('holds a poll until a frame arrives, and answers empty after wait_ms when none does', async () => {
    const client = await open();
    const started = Date.now();
    const empty = await call(`${client.base}/frames?after=0&wait_ms=300`, token);
    expect(empty.body).toEqual({ frames: [], ended: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const waiting = call(`${client.base}/frames?after=0&wait_ms=20000`, token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sentAt = Date.now();
    await client.text('wake up');
    const woken = await waiting;
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect((woken.body['frames'] as { n: number }[])[0]?.n).toBe(1);
    await client.close();
  });

  it('refuses a wait_ms over 25000 with BAD_REQUEST', async () => {
    const client = await open();
    const refused = await call(`${client.base}/frames?wait_ms=25001`, token);
    expect(refused.status).toBe(400);
    expect(refused.body['error']).toMatchObject({ details: { path: 'querystring.wait_ms' } });
    await client.close();
  });

  it('answers every call with its own x-request-id', async () => {
    const client = await open();
    const sent = await call(`${client.base}/frames`, token, {
      method: 'POST',
      body: [{ type: 'control', seq: 1, ts: 0, payload: { action: 'text', text: 'hi' } }],
      requestId: 'poll-call-1',
    });
    expect(sent).toMatchObject({ status: 202, requestId: 'poll-call-1', body: { accepted: 1 } });
    const polled = await call(`${client.base}/frames?wait_ms=0`, token, {
      requestId: 'poll-call-2',
    });
    expect(polled.requestId).toBe('poll-call-2');
    await client.close();
  });
});

describe('whose session it is', () => {
  it('is NOT_FOUND to another principal, as an unknown one is, and stays its owner’s', async () => {
    const client = await open();
    const other = await voice.config.token({ sub: 'someone-else' });
    const otherTenant = await voice.config.token({ tenant: 'globex' });
    for (const stranger of [other, otherTenant]) {
      const read = await call(`${client.base}/frames?wait_ms=0`, stranger);
      expect(read.status).toBe(404);
      expect(read.body['error']).toMatchObject({ code: 'NOT_FOUND' });
      const write = await call(`${client.base}/frames`, stranger, { method: 'POST', body: [{}] });
      expect(write.status).toBe(404);
      expect((await call(client.base, stranger, { method: 'DELETE' })).status).toBe(404);
    }
    await client.text('still mine');
    expect((await client.next(isFinalAnswer)).text).toContain('still mine');
    await client.close();
  });

  it('is NOT_FOUND when the id is unknown or the session was deleted', async () => {
    const unknown = `${voice.http}/api/v1/voice/polls/vp_00000000-0000-4000-8000-000000000000`;
    expect((await call(`${unknown}/frames`, token)).status).toBe(404);
    const client = await open();
    const kept = await pollSessions();
    expect(kept).toBeGreaterThan(0);
    expect((await call(client.base, token, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${client.base}/frames?wait_ms=0`, token)).status).toBe(404);
    expect(await pollSessions()).toBe(kept - 1);
  });

  it("keeps the socket's Origin allowlist: a page the socket refuses gets no session either", async () => {
    const open = (origin: string) =>
      fetch(`${voice.http}/api/v1/voice/polls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, origin, 'x-request-id': randomUUID() },
      });
    const refused = await open('https://elsewhere.example');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: 'FORBIDDEN', details: { reason: 'origin_not_allowed' } },
    });
    expect((await open('https://app.example')).status).toBe(201);
  });

  it('refuses a token without the inference:stream scope with 403, and none with 401', async () => {
    const weak = await voice.token(['inference:invoke']);
    expect((await call(`${voice.http}/api/v1/voice/polls`, weak, { method: 'POST' })).status).toBe(
      403,
    );
    const none = await fetch(`${voice.http}/api/v1/voice/polls`, { method: 'POST' });
    expect(none.status).toBe(401);
  });
});

describe('a long-polled session left alone', () => {
  let quiet: VoiceApp;
  beforeAll(async () => {
    quiet = await startVoiceApp({
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=200' }] },
      ],
      env: { VOICE_WS_MAX_BUFFERED_BYTES: '65536', VOICE_POLL_IDLE_MS: '3000' },
    });
  });
  afterAll(async () => {
    await quiet.stop();
  });

  it('by a client that never polls is bounded, told OVERLOADED slow_consumer and ended', async () => {
    const client = await PollClient.open(quiet.http, await quiet.token());
    // An answer of 200 chunks of 4 KiB (about 800 KiB of partials) against a 64 KiB bound.
    await client.text('x'.repeat(4096));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const unread = await client.poll(0);
    expect(client.ended).toBe(true);
    const bytes = unread.reduce((sum, { frame }) => sum + JSON.stringify(frame).length, 0);
    expect(bytes).toBeLessThan(65536 + 1024);
    expect(unread.at(-1)?.frame).toMatchObject({
      type: 'error',
      code: 'OVERLOADED',
      details: { reason: 'slow_consumer', limit_bytes: 65536 },
    });
    const sent = await call(`${client.base}/frames`, client.token, {
      method: 'POST',
      body: [{ type: 'control', seq: 2, ts: 0, payload: { action: 'text', text: 'more' } }],
    });
    expect(sent.status).toBe(404);
  });

  it('is ended and forgotten after VOICE_POLL_IDLE_MS without a call', async () => {
    const client = await PollClient.open(quiet.http, await quiet.token());
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect((await call(`${client.base}/frames?wait_ms=0`, client.token)).status).toBe(404);
  });
});
