import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../dataplane/src/engine/xr/geometry.ts';
import { readSse } from '../support/sse.ts';
import { refusedUpgrade, startVoiceApp, type Frame, type VoiceApp } from '../voice/support.ts';
import { ANCHORS, HEAD, lookAlong, toward, XrClient } from './support.ts';

const PATH = '/api/v1/xr/ws';
const ORIGIN = 'https://xr.example.test';
const ANSWER = [
  'The lamp is there.',
  '<action>{"type":"highlight","anchor_id":"lamp-1"}</action>',
  '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
  'Done.',
].join(' ');
let xr: VoiceApp;
let token: string;

beforeAll(async () => {
  xr = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [
          { name: 'fixed', provider: 'mock', model: `fixed?text=${encodeURIComponent(ANSWER)}` },
        ],
      },
      {
        alias: 'slow',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=12&gapMs=250' }],
      },
    ],
    env: { VOICE_ALLOWED_ORIGINS: ORIGIN, VOICE_WS_MAX_FRAME_BYTES: '8192' },
  });
  token = await xr.token();
});

afterAll(async () => {
  await xr.stop();
});

async function open(
  headers: Record<string, string> = { authorization: `Bearer ${token}` },
  protocols?: string[],
) {
  const client = new XrClient(`${xr.ws}${PATH}`, { headers }, protocols);
  await client.opened;
  return client;
}

const is = (type: string) => (frame: Frame) => frame.type === type;
const timing = (client: XrClient, match: (frame: Frame) => boolean) =>
  client.next((frame) => frame.type === 'timing' && match(frame), 5000);

/**
 * Streams head pose and gaze at 30 Hz in real time for `ms`, the gaze sweeping from the lamp
 * (x = -0.5) to the mug (x = 0.5); returns the client ts of every frame sent.
 */
async function sweep(client: XrClient, t0: number, ms: number): Promise<number[]> {
  const sent: number[] = [];
  const frames = Math.round((ms * 30) / 1000);
  const started = Date.now();
  for (let i = 0; i <= frames; i++) {
    const ts = t0 + (i * 1000) / 30;
    const x = -0.5 + i / frames;
    client.frame('pose', { head: HEAD }, ts);
    client.frame('gaze', { origin: HEAD.position, direction: toward([x, 1, -2]) }, ts);
    sent.push(ts);
    const due = started + ((i + 1) * 1000) / 30;
    await sleep(Math.max(0, due - Date.now()));
  }
  return sent;
}

describe('the XR socket', () => {
  it('opens with a bearer token and says its session key; a voice ticket does not open it', async () => {
    const client = await open();
    const session = await client.session();
    expect(session).toMatchObject({ resumed: false, anchors: 0 });
    expect(session.session_key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    client.close();
    const voice = await fetch(`${xr.http}/api/v1/voice/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const { ticket } = (await voice.json()) as { ticket: string };
    const refused = await refusedUpgrade(`${xr.ws}${PATH}`, { headers: { origin: ORIGIN } }, [
      'inference.xr.v1',
      `ticket.${ticket}`,
    ]);
    expect(refused.status).toBe(401);
    expect(refused.body.error.details).toEqual({ reason: 'invalid_ticket' });
  });

  it('opens from an allowed origin with an XR ticket, and refuses another origin', async () => {
    const issued = await fetch(`${xr.http}/api/v1/xr/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await issued.json()) as { ticket: string; protocol: string; url: string };
    expect(body).toMatchObject({ protocol: 'inference.xr.v1', url: PATH });
    const client = await open({ origin: ORIGIN }, ['inference.xr.v1', `ticket.${body.ticket}`]);
    expect(client.socket.protocol).toBe('inference.xr.v1');
    await client.session();
    client.close();
    const refused = await refusedUpgrade(`${xr.ws}${PATH}`, {
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example.test' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ reason: 'origin_not_allowed' });
  });

  it('resolves "this" at the utterance onset of a 30 Hz sweep, and streams text and a valid action', async () => {
    const client = await open();
    await client.session();
    const t0 = 50_000;
    client.frame('anchors', { upsert: ANCHORS }, t0);
    const sent = await sweep(client, t0, 2000);
    // The onset was 5 frames in, with the gaze on the lamp; by the end of speech it is on the mug.
    client.frame(
      'voice_vad',
      { state: 'end', text: 'what is this', start_ts: sent[5]! + 10 },
      sent.at(-1)! + 1,
    );
    const referent = await client.next(is('referent'));
    expect(referent).toMatchObject({
      cause: 'utterance',
      rule: 'gaze',
      referents: [{ anchor_id: 'lamp-1' }],
    });
    const answer = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'answer',
    );
    expect(answer.text).toBe('The lamp is there.   Done.');
    const partials = client.frames.filter(is('partial')).map((frame) => frame.text as string);
    expect(partials.join('')).not.toContain('<action>');
    const actions = client.frames.filter(is('action'));
    expect(actions.map((frame) => frame.action)).toEqual([
      { type: 'highlight', anchor_id: 'lamp-1' },
    ]);
    const figures = await timing(client, (frame) => frame.actions_dropped === 1);
    const streams = figures.streams as Record<
      string,
      { frames: number; dropped_out_of_order: number; jitter_ms: number }
    >;
    expect(streams['gaze']).toMatchObject({ frames: sent.length, dropped_out_of_order: 0 });
    expect(streams['pose']!.frames).toBe(sent.length);
    expect(typeof figures.clock_offset_ms).toBe('number');
    client.close();
  });

  it('answers malformed frames with an error naming the field, and goes on', async () => {
    const client = await open();
    await client.session();
    const errors = async (count: number) => {
      await client.next(() => client.frames.filter(is('error')).length >= count);
      return client.frames.filter(is('error'));
    };
    client.send('{');
    client.send({ type: 'teleport', data: {}, ts: 1 });
    client.send({
      type: 'pose',
      data: { head: { position: [0, 1], orientation: [0, 0, 0, 1] } },
      ts: 1,
    });
    client.send({ type: 'gaze', data: { origin: [0, 1, 0], direction: [0, 0, 0] }, ts: 2 });
    client.send({ type: 'pose', data: {}, ts: 3 });
    client.socket.send(Buffer.from([1, 2, 3]));
    const seen = await errors(6);
    expect(seen.map((frame) => [frame.code, frame.field])).toEqual([
      ['BAD_REQUEST', ''],
      ['BAD_REQUEST', '/type'],
      ['BAD_REQUEST', '/data/head/position'],
      ['BAD_REQUEST', '/data/direction'],
      ['BAD_REQUEST', '/data'],
      ['BAD_REQUEST', ''],
    ]);
    client.frame('pose', { head: HEAD }, 10);
    await timing(
      client,
      (frame) => (frame.streams as Record<string, { frames: number }>)['pose']?.frames === 1,
    );
    client.close();
  });

  it('drops and counts out-of-order and stale frames, never processing them', async () => {
    const client = await open();
    await client.session();
    const now = 1_000_000;
    client.frame('anchors', { upsert: ANCHORS }, now);
    client.frame('gaze', { origin: HEAD.position, direction: toward([-0.5, 1, -2]) }, now);
    client.frame('gaze', { origin: HEAD.position, direction: toward([0, 1, -2]) }, now + 33);
    // Late, and out of order: had it been taken, the gaze at now+20 would point at the mug.
    client.frame('gaze', { origin: HEAD.position, direction: toward([0.5, 1, -2]) }, now + 20);
    // A head pose sampled 5 s before the gaze frames: older than the 250 ms window.
    client.frame('pose', { head: HEAD }, now - 5000);
    client.frame('voice_vad', { state: 'end', text: 'this one', start_ts: now + 30 }, now + 40);
    const referent = await client.next(is('referent'));
    // Interpolated between the lamp (now) and the vase (now+33): 90 % of the way, on the vase.
    expect(referent.referents).toMatchObject([{ anchor_id: 'vase-2' }]);
    const figures = await timing(client, () => true);
    expect(figures.streams).toMatchObject({
      gaze: { frames: 2, dropped_out_of_order: 1, dropped_stale: 0 },
      pose: { frames: 0, dropped_stale: 1 },
      voice_vad: { frames: 1 },
    });
    client.close();
  });

  it('relays an answer again on a new socket from its resume token, with the same actions', async () => {
    const first = await open();
    const { session_key: key } = await first.session();
    first.frame('anchors', { upsert: ANCHORS }, 1);
    first.frame('voice_vad', { state: 'end', text: 'light it up', start_ts: 1 }, 2);
    const transcript = await first.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
    );
    await first.next((frame) => frame.type === 'final' && frame.source === 'answer');
    first.close();
    await first.closed;
    const second = await open();
    await second.session();
    second.frame(
      'resume',
      { session_key: key, resume_token: transcript.resume_token, after: 0 },
      3,
    );
    const answer = await second.next(
      (frame) => frame.type === 'final' && frame.source === 'answer',
    );
    expect(answer).toMatchObject({
      stream_id: transcript.stream_id,
      text: 'The lamp is there.   Done.',
    });
    expect(second.frames.filter(is('action')).map((frame) => frame.action)).toEqual([
      { type: 'highlight', anchor_id: 'lamp-1' },
    ]);
    second.frame('resume', { resume_token: 'not-a-token' }, 4);
    expect(await second.next(is('error'))).toMatchObject({
      code: 'INVALID_RESUME_TOKEN',
      field: '/data/resume_token',
    });
    second.close();
  });

  it('resumes its scene on a new socket mid-gesture: the held point still decides', async () => {
    const first = await open();
    const { session_key: key } = await first.session();
    const t = 2_000_000;
    first.frame('anchors', { upsert: ANCHORS }, t);
    const hand = {
      position: [0.2, 0.9, -0.3] as Vec3,
      orientation: lookAlong(toward([0.5, 1, -2], [0.2, 0.9, -0.3])),
    };
    first.frame('pose', { head: HEAD, right_hand: hand }, t);
    first.frame('gesture', { kind: 'point', hand: 'right', phase: 'start' }, t + 1);
    const pointed = await first.next(is('referent'));
    expect(pointed).toMatchObject({ cause: 'gesture', referents: [{ anchor_id: 'mug-3' }] });
    first.socket.terminate();
    await first.closed;

    const second = await open();
    await second.session();
    second.frame('resume', { session_key: key }, t + 2);
    expect(
      await second.next((frame) => frame.type === 'session' && frame.resumed === true),
    ).toMatchObject({
      anchors: 3,
      session_key: key,
    });
    second.frame('pose', { head: HEAD, right_hand: hand }, t + 40);
    second.frame('gaze', { origin: HEAD.position, direction: toward([-0.5, 1, -2]) }, t + 40);
    second.frame('voice_vad', { state: 'start' }, t + 50);
    second.frame('voice_vad', { state: 'end', text: 'put that one away' }, t + 60);
    const referent = await second.next(is('referent'));
    expect(referent).toMatchObject({
      rule: 'pointing_over_gaze',
      referents: [{ anchor_id: 'mug-3', source: 'point' }],
      overruled: { anchor_id: 'lamp-1' },
    });
    second.frame('resume', { session_key: key }, t + 70);
    const refused = await second.next(is('error'));
    expect(refused).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'unknown_session' } });
    second.close();
  });
});

describe('POST /api/v1/xr:stream', () => {
  const request = (body: object, model?: string) =>
    fetch(`${xr.http}/api/v1/xr:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': `xr-${Math.random()}`,
        ...(model === undefined ? {} : {}),
      },
      body: JSON.stringify(body),
    });
  const frames = [0, 33, 66].flatMap((ts, i) => [
    { type: 'pose', data: { head: HEAD }, ts },
    {
      type: 'gaze',
      data: { origin: HEAD.position, direction: toward([-0.5 + i * 0.5, 1, -2]) },
      ts,
    },
  ]);

  it('streams the referent, the text without markup, the valid action and done', async () => {
    const response = await request({
      anchors: ANCHORS,
      frames,
      utterance: { text: 'the right one', start_ts: 33 },
    });
    expect(response.status).toBe(200);
    const events = [];
    for await (const event of readSse(response.body!)) events.push(event);
    const names = events.map((event) => event.event);
    expect(names.slice(0, 2)).toEqual(['resume', 'referent']);
    expect(JSON.parse(events[1]!.data)).toMatchObject({
      rule: 'spatial_word',
      referents: [{ anchor_id: 'mug-3' }],
    });
    const text = events
      .filter((e) => e.event === 'data')
      .map((e) => (JSON.parse(e.data) as { text: string }).text);
    expect(text.join('')).toBe('The lamp is there.   Done.');
    expect(
      events
        .filter((e) => e.event === 'action')
        .map((e) => (JSON.parse(e.data) as { action: unknown }).action),
    ).toEqual([{ type: 'highlight', anchor_id: 'lamp-1' }]);
    expect(names.at(-1)).toBe('done');
  });

  it('refuses a zero quaternion by its path, before the stream opens', async () => {
    const bad = [
      { type: 'pose', data: { head: { position: [0, 1, 0], orientation: [0, 0, 0, 0] } }, ts: 0 },
    ];
    const response = await request({
      anchors: ANCHORS,
      frames: bad,
      utterance: { text: 'this', start_ts: 0 },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { details: unknown } }).error.details).toEqual({
      path: 'body.frames[0].data.head.orientation',
    });
  });
});
