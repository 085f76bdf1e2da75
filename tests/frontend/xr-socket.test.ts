import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anchor } from '../../sdk/react/src/xr-state.ts';
import { XrSocket, type XrDownlinkFrame, type XrEvent } from '../../sdk/ts/src/xr-socket.ts';
import { startVoiceApp, type VoiceApp } from '../voice/support.ts';
import { ANCHORS, HEAD, toward, XrClient } from '../xr/support.ts';
import { startHost, type Host } from './host.ts';

/** The model's answer: text, a valid action, one naming no anchor (dropped), more text. */
const ANSWER = [
  'The lamp.',
  '<action>{"type":"highlight","anchor_id":"lamp-1"}</action>',
  '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
  'It is on, lit.',
].join(' ');

let xr: VoiceApp;
let host: Host;
let token: string;
let work: string;

beforeAll(async () => {
  xr = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [
          {
            name: 'fixed',
            provider: 'mock',
            model: `fixed?gapMs=150&text=${encodeURIComponent(ANSWER)}`,
          },
        ],
      },
    ],
  });
  token = await xr.token();
  work = await mkdtemp(join(tmpdir(), 'xr-socket-'));
  // The host stands for the network between the page and the gateway: cut() drops it.
  host = await startHost({
    root: work,
    upstream: () => xr.http,
    token: () => Promise.resolve(token),
  });
});

afterAll(async () => {
  await host.stop();
  await xr.stop();
  await rm(work, { recursive: true, force: true });
});

/** An XrSocket through the host, recording every event. */
function client() {
  const events: XrEvent[] = [];
  const socket = new XrSocket({
    baseUrl: host.origin,
    token,
    reconnect: { baseDelayMs: 100, maxDelayMs: 400 },
    onEvent: (event) => events.push(event),
  });
  const frames = <T extends XrDownlinkFrame['type']>(type: T) =>
    events.flatMap((event) =>
      event.type === 'frame' && event.frame.type === type
        ? [event.frame as Extract<XrDownlinkFrame, { type: T }>]
        : [],
    );
  const answer = () => frames('final').find((frame) => frame.source === 'answer');
  return { socket, events, frames, answer };
}

const now = () => performance.timeOrigin + performance.now();

type Vec = [number, number, number];
const vec = (v: readonly number[]): Vec => [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
const UPRIGHT: [number, number, number, number] = [0, 0, 0, 1];
/** The XR tests' scene (tests/xr/support.ts) as the frame types have it. */
const SCENE: Anchor[] = ANCHORS.map(({ id, label, pose, extent }) => ({
  id,
  label,
  pose: { position: vec(pose.position), orientation: UPRIGHT },
  extent: vec(extent),
}));
const EYES = vec(HEAD.position);

/** The scene registered, the gaze on the lamp, and "what is this" said while looking at it. */
function ask(socket: XrSocket): void {
  const t = now();
  socket.send({ type: 'anchors', data: { upsert: SCENE }, ts: t });
  socket.send({ type: 'pose', data: { head: { position: EYES, orientation: UPRIGHT } }, ts: t });
  socket.send({
    type: 'gaze',
    data: { origin: EYES, direction: vec(toward([-0.5, 1, -2])) },
    ts: t,
  });
  socket.send({
    type: 'voice_vad',
    data: { state: 'end', text: 'what is this', start_ts: t },
    ts: t + 1,
  });
}

describe('XrSocket (@enis/react) against a dataplane', () => {
  it('opens with a ticket, resolves the anchor looked at, and streams the answer without markup and its valid action once', async () => {
    const { socket, frames, answer } = client();
    await socket.open();
    await expect.poll(() => frames('session').length).toBe(1);
    ask(socket);
    await expect.poll(() => answer(), { timeout: 10_000 }).toBeDefined();
    expect(frames('referent')[0]?.referents.map((r) => r.anchor_id)).toEqual(['lamp-1']);
    const text = answer()?.text ?? '';
    expect(text).not.toContain('<action>');
    expect(text).toMatch(/^The lamp\./);
    expect(
      frames('partial')
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
    expect(frames('action').map((a) => a.action)).toEqual([
      { type: 'highlight', anchor_id: 'lamp-1' },
    ]);
    socket.close();
  });

  it('reconnects after a network cut mid-answer, resumes its session and the answer, each chunk and action once', async () => {
    const { socket, events, frames, answer } = client();
    await socket.open();
    await expect.poll(() => frames('session').length).toBe(1);
    ask(socket);
    await expect
      .poll(() => frames('partial').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    host.cut();
    await expect.poll(() => events.some((event) => event.type === 'reconnecting')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    host.restore();
    await expect.poll(() => answer(), { timeout: 15_000 }).toBeDefined();
    expect(events.filter((event) => event.type === 'open')).toEqual([
      { type: 'open', reconnect: false },
      { type: 'open', reconnect: true },
    ]);
    const sessions = frames('session');
    expect(sessions.at(-1)).toMatchObject({
      resumed: true,
      anchors: 3,
      session_key: sessions[0]?.session_key,
    });
    const offsets = frames('partial').map((p) => p.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(
      frames('partial')
        .map((p) => p.text)
        .join(''),
    ).toBe(answer()?.text);
    expect(frames('action').map((a) => a.action.type)).toEqual(['highlight']);
    socket.close();
  });

  it('resumes the answer by its token alone when its kept session was taken meanwhile', async () => {
    const { socket, events, frames, answer } = client();
    await socket.open();
    await expect.poll(() => frames('session').length).toBe(1);
    ask(socket);
    await expect
      .poll(() => frames('partial').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    host.cut();
    // While the page is cut off, another socket (straight to the gateway) takes its session.
    const thief = new XrClient(`${xr.ws}/api/v1/xr/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await thief.opened;
    await thief.session();
    thief.frame('resume', { session_key: frames('session')[0]?.session_key }, now());
    await thief.next((frame) => frame.type === 'session' && frame.resumed === true);
    host.restore();
    await expect.poll(() => answer(), { timeout: 15_000 }).toBeDefined();
    thief.close();
    expect(frames('error').map((error) => error.field)).toEqual(['/data/session_key']);
    expect(events.filter((event) => event.type === 'open')).toHaveLength(2);
    const offsets = frames('partial').map((p) => p.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(
      frames('partial')
        .map((p) => p.text)
        .join(''),
    ).toBe(answer()?.text);
    expect(frames('action').map((a) => a.action.type)).toEqual(['highlight']);
    socket.close();
  });
});
