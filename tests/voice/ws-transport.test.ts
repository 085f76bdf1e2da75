import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import {
  refusedUpgrade,
  startVoiceApp,
  VoiceClient,
  type Frame,
  type VoiceApp,
} from './support.ts';

const PATH = '/api/v1/voice/ws';
const ORIGIN = 'https://app.example.test';
let voice: VoiceApp;
let token: string;

beforeAll(async () => {
  voice = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=40&gapMs=15' }],
      },
    ],
    env: {
      VOICE_ALLOWED_ORIGINS: `${ORIGIN}, https://other.example.test`,
      VOICE_WS_MAX_FRAME_BYTES: '4096',
    },
  });
  token = await voice.token();
});

afterAll(async () => {
  await voice.stop();
});

const bearer = (): { headers: Record<string, string> } => ({
  headers: { authorization: `Bearer ${token}` },
});

async function open(options = bearer(), protocols?: string[]): Promise<VoiceClient> {
  const client = new VoiceClient(`${voice.ws}${PATH}`, options, protocols);
  await client.opened;
  return client;
}

async function ticket(): Promise<string> {
  const response = await fetch(`${voice.http}/api/v1/voice/session`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string }).ticket;
}

const isFinalAnswer = (frame: Frame) => frame.type === 'final' && frame.source === 'answer';

describe('the voice socket upgrade', () => {
  it('refuses a missing or bad bearer token with 401 before upgrading', async () => {
    const none = await refusedUpgrade(`${voice.ws}${PATH}`);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const bad = await refusedUpgrade(`${voice.ws}${PATH}`, {
      headers: { authorization: 'Bearer not.a.token' },
    });
    expect(bad.status).toBe(401);
  });

  it('refuses a token without the inference:stream scope with 403', async () => {
    const weak = await voice.token(['inference:invoke']);
    const refused = await refusedUpgrade(`${voice.ws}${PATH}`, {
      headers: { authorization: `Bearer ${weak}` },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ scope: 'inference:stream' });
  });

  it('answers the upgrade with the session x-request-id, which every frame names', async () => {
    const client = new VoiceClient(`${voice.ws}${PATH}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'voice-session-1' },
    });
    const upgrade = new Promise<string | undefined>((resolve) =>
      client.socket.once('upgrade', (response) => {
        resolve(response.headers['x-request-id'] as string);
      }),
    );
    await client.opened;
    expect(await upgrade).toBe('voice-session-1');
    client.send('{');
    const error = await client.next((frame) => frame.type === 'error');
    expect(error.session_id).toBe('voice-session-1');
    client.close();
  });

  it('opens with a ticket offered as a subprotocol, once: a reused ticket is refused', async () => {
    const issued = await ticket();
    const client = await open({ headers: { origin: ORIGIN } }, [
      'inference.voice.v1',
      `ticket.${issued}`,
    ]);
    expect(client.socket.protocol).toBe('inference.voice.v1');
    client.text('hello');
    expect((await client.next(isFinalAnswer)).text).toContain('hello');
    client.close();
    const reused = await refusedUpgrade(`${voice.ws}${PATH}`, { headers: { origin: ORIGIN } }, [
      'inference.voice.v1',
      `ticket.${issued}`,
    ]);
    expect(reused.status).toBe(401);
    expect(reused.body.error.details).toEqual({ reason: 'invalid_ticket' });
  });

  it('refuses an unknown ticket with 401 invalid_ticket', async () => {
    const refused = await refusedUpgrade(`${voice.ws}${PATH}`, {}, [
      'inference.voice.v1',
      `ticket.${'x'.repeat(32)}`,
    ]);
    expect(refused.status).toBe(401);
    expect(refused.body.error.details).toEqual({ reason: 'invalid_ticket' });
  });

  it('keeps the ticket in Redis until it is used, under its 30 s expiry', async () => {
    const issued = await ticket();
    const keys = await voice.redis.keys(`*voice:ticket:${issued}`);
    expect(keys).toHaveLength(1);
    const ttl = await voice.redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('refuses an origin outside VOICE_ALLOWED_ORIGINS with 403, and allows a listed one', async () => {
    const refused = await refusedUpgrade(`${voice.ws}${PATH}`, {
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example.test' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ reason: 'origin_not_allowed' });
    const allowed = await open({ headers: { authorization: `Bearer ${token}`, origin: ORIGIN } });
    allowed.close();
  });
});

describe('frames that break the contract', () => {
  it('get an error frame naming the field, and the session goes on', async () => {
    const client = await open();
    client.send('not json');
    expect(await client.next((frame) => frame.type === 'error')).toMatchObject({
      code: 'BAD_REQUEST',
      field: '',
    });
    client.send({ type: 'video', seq: 1 });
    expect(await client.next((frame) => frame.field === '/type')).toMatchObject({ seq: 1 });
    client.send({ type: 'audio', codec: 'pcm16', seq: 2, payload: '***', ts: 0 });
    expect(await client.next((frame) => frame.seq === 2)).toMatchObject({
      code: 'BAD_REQUEST',
      field: '/payload',
    });
    client.send({ type: 'audio', codec: 'pcm16', seq: 3, payload: 'AAAA', ts: 0, extra: 1 });
    expect(await client.next((frame) => frame.seq === 3)).toMatchObject({ code: 'BAD_REQUEST' });
    client.send({ type: 'audio', codec: 'pcm16', seq: 4, payload: 'AAAA', ts: 0 });
    expect(await client.next((frame) => frame.seq === 4)).toMatchObject({
      code: 'BAD_REQUEST',
      field: '/payload',
      message: 'The payload is not pcm16 audio.',
    });
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(
      await client.next(
        (frame) => frame.message === 'Frames are JSON text messages, not binary ones.',
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
    });
    client.text('still here', 5);
    expect((await client.next(isFinalAnswer)).text).toContain('still here');
    client.close();
  });

  it('answers a frame over the limit with PAYLOAD_TOO_LARGE and goes on; over 4 times it, closes 1009', async () => {
    const client = await open();
    client.send({
      type: 'control',
      seq: 1,
      ts: 0,
      payload: { action: 'text', text: 'a'.repeat(5000) },
    });
    expect(await client.next((frame) => frame.type === 'error')).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit_bytes: 4096 },
    });
    client.text('small again', 2);
    expect((await client.next(isFinalAnswer)).text).toContain('small again');
    client.send('x'.repeat(4096 * 4 + 1));
    expect((await client.closed).code).toBe(1009);
  });

  it('refuses a resume token that is not one with INVALID_RESUME_TOKEN', async () => {
    const client = await open();
    client.send({
      type: 'control',
      seq: 7,
      ts: 0,
      payload: { action: 'resume', resume_token: 'nope' },
    });
    expect(await client.next((frame) => frame.type === 'error')).toMatchObject({
      code: 'INVALID_RESUME_TOKEN',
      seq: 7,
    });
    client.close();
  });
});

describe('a typed turn', () => {
  it('gets its transcript with a resume token, numbered partials, one final answer and metrics', async () => {
    const client = await open();
    client.text('hello there');
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
    );
    expect(transcript).toMatchObject({ text: 'hello there', stream_id: expect.any(String) });
    expect(transcript.resume_token).toEqual(expect.any(String));
    const final = await client.next(isFinalAnswer);
    const partials = client.frames.filter((frame) => frame.type === 'partial');
    expect(partials.map((frame) => frame.offset)).toEqual(partials.map((_, index) => index + 1));
    expect(partials.map((frame) => frame.text).join('')).toBe(final.text);
    expect(final).toMatchObject({ finish_reason: 'stop', turn_id: transcript.turn_id });
    const metrics = await client.next((frame) => frame.type === 'metrics');
    expect(metrics.ttft_ms).toBeGreaterThan(0);
    client.close();
  });

  it('resumed on a new socket after a drop mid-answer, loses no frame (more than 10 replayed)', async () => {
    const first = await open();
    first.text('one two three');
    const transcript = await first.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
    );
    await first.next((frame) => frame.type === 'partial' && frame.offset === 3);
    first.socket.terminate();
    const seen = first.frames.filter((frame) => frame.type === 'partial');
    const last = Math.max(...seen.map((frame) => frame.offset as number));

    const second = await open();
    second.send({
      type: 'control',
      seq: 1,
      ts: 0,
      payload: { action: 'resume', resume_token: transcript.resume_token, after: last },
    });
    const final = await second.next(isFinalAnswer);
    const replayed = second.frames.filter((frame) => frame.type === 'partial');
    expect(replayed.length).toBeGreaterThan(10);
    const offsets = [...seen, ...replayed].map((frame) => frame.offset);
    expect(offsets).toEqual(offsets.map((_, index) => index + 1));
    expect([...seen, ...replayed].map((frame) => frame.text).join('')).toBe(final.text);
    expect(final.stream_id).toBe(transcript.stream_id);
    second.close();
  });
});

async function openSockets(app: VoiceApp): Promise<number> {
  const text = await (await fetch(`${app.http}/metrics`)).text();
  return Number(/^inference_voice_sockets (\d+)$/m.exec(text)?.[1]);
}

describe('a client that never reads', () => {
  let flood: VoiceApp;
  beforeAll(async () => {
    flood = await startVoiceApp({
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=200' }] },
      ],
      env: { VOICE_WS_MAX_BUFFERED_BYTES: '65536' },
    });
  });
  afterAll(async () => {
    await flood.stop();
  });

  it('is bounded, told OVERLOADED slow_consumer and closed with 1013', async () => {
    const client = new VoiceClient(`${flood.ws}${PATH}`, {
      headers: { authorization: `Bearer ${await flood.token()}` },
    });
    await client.opened;
    // An answer of 200 chunks of 4 KiB (the voice prompt caps answers at 200 tokens), then
    // 40 replays of it (16 MiB) asked for by a client that has stopped reading.
    client.text('x'.repeat(4096));
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
    );
    await client.next(isFinalAnswer);
    client.socket.pause();
    for (let seq = 2; seq < 42; seq++) {
      client.send({
        type: 'control',
        seq,
        ts: 0,
        payload: { action: 'resume', resume_token: transcript.resume_token, after: 0 },
      });
    }
    await eventually(async () => (await openSockets(flood)) === 0, 20_000, 20);
    client.socket.resume();
    const closed = await client.closed;
    expect(closed.code).toBe(1013);
    expect(client.frames.at(-1)).toMatchObject({
      type: 'error',
      code: 'OVERLOADED',
      details: { reason: 'slow_consumer', limit_bytes: 65536 },
    });
  });
});

describe('a peer that misses a ping', () => {
  let quick: VoiceApp;
  beforeAll(async () => {
    quick = await startVoiceApp({
      routes: [{ alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] }],
      env: { VOICE_WS_PING_MS: '100' },
    });
  });
  afterAll(async () => {
    await quick.stop();
  });

  it('is terminated (dead peer)', async () => {
    const client = new VoiceClient(`${quick.ws}${PATH}`, {
      headers: { authorization: `Bearer ${await quick.token()}` },
    });
    await client.opened;
    expect(await openSockets(quick)).toBe(1);
    client.socket.pause();
    await eventually(async () => (await openSockets(quick)) === 0, 5000, 20);
    client.socket.terminate();
  });

  it('that answers its pings stays open', async () => {
    const client = new VoiceClient(`${quick.ws}${PATH}`, {
      headers: { authorization: `Bearer ${await quick.token()}` },
    });
    await client.opened;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await openSockets(quick)).toBe(1);
    client.close();
    await client.closed;
  });
});
