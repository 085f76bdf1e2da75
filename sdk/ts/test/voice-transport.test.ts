// VoiceSocket's transports against a listening dataplane: the socket, its HTTP long-poll form,
// and `auto` falling back to long-poll where a proxy refuses the upgrade.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceApp, type VoiceApp } from '../../../tests/voice/support.ts';
import {
  VoiceSocket,
  type DownlinkFrame,
  type TransportChange,
  type VoiceEvent,
  type VoiceTransport,
} from '../src/index.ts';
import { startProxy } from './support/proxy.ts';

let voice: VoiceApp;

beforeAll(async () => {
  voice = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=20&gapMs=10' }],
      },
    ],
  });
});

afterAll(async () => {
  await voice.stop();
});

/** A VoiceSocket that records its events, its transport changes and the paths it called. */
async function connect(baseUrl: string, transport?: VoiceTransport) {
  const events: VoiceEvent[] = [];
  const changes: TransportChange[] = [];
  const paths: string[] = [];
  const waiters = new Set<() => void>();
  const socket = new VoiceSocket({
    baseUrl,
    token: await voice.token(),
    ...(transport === undefined ? {} : { transport }),
    fetch: (input, init) => {
      paths.push(
        `${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : input).pathname}`,
      );
      return fetch(input, init);
    },
    onEvent: (event) => {
      events.push(event);
      for (const wake of [...waiters]) wake();
    },
    onTransport: (change) => changes.push(change),
  });
  const frames = () => events.flatMap((event) => (event.type === 'frame' ? [event.frame] : []));
  const next = async (match: (frame: DownlinkFrame) => boolean): Promise<DownlinkFrame> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = frames().find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no frame; events: ${JSON.stringify(events)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 200);
        waiters.add(wake);
      });
    }
  };
  return { socket, events, changes, paths, frames, next };
}

const finalAnswer = (frame: DownlinkFrame) => frame.type === 'final' && frame.source === 'answer';
/** The text of a `final` frame (what `finalAnswer` finds). */
const textOf = (frame: DownlinkFrame) => (frame.type === 'final' ? frame.text : '');

describe('VoiceSocket', () => {
  it("transport 'ws' answers a typed turn over the socket", async () => {
    const client = await connect(voice.http, 'ws');
    await client.socket.open();
    client.socket.sendText('over the socket');
    expect(textOf(await client.next(finalAnswer))).toContain('over the socket');
    expect(client.socket.transport).toBe('ws');
    expect(client.paths).toEqual(['POST /api/v1/voice/session']);
    client.socket.close();
  });

  it("transport 'poll' answers a typed turn over long-poll, every chunk once, and ends it with a DELETE", async () => {
    const client = await connect(voice.http, 'poll');
    await client.socket.open();
    expect(client.events[0]).toEqual({ type: 'open', reconnect: false });
    client.socket.sendText('over long poll');
    const final = await client.next(finalAnswer);
    expect(textOf(final)).toContain('over long poll');
    const partials = client.frames().flatMap((frame) => (frame.type === 'partial' ? [frame] : []));
    expect(partials.map((frame) => frame.offset)).toEqual(partials.map((_, index) => index + 1));
    expect(partials.map((frame) => frame.text).join('')).toBe(textOf(final));
    expect(client.paths).not.toContain('POST /api/v1/voice/session');
    expect(client.paths).toContain('POST /api/v1/voice/polls');
    client.socket.close();
    expect(client.socket.connected).toBe(false);
    await expect.poll(() => client.paths.some((path) => path.startsWith('DELETE '))).toBe(true);
    expect(client.changes).toEqual([]);
  });

  it("'auto' falls back to long-poll when a proxy refuses the upgrade, and says so", async () => {
    const proxy = await startProxy(voice.http, () => ({ kind: 'forward' }));
    try {
      const client = await connect(proxy.url);
      await client.socket.open();
      expect(client.changes).toEqual([{ transport: 'poll', reason: expect.any(String) }]);
      expect(client.socket.transport).toBe('poll');
      client.socket.sendText('behind a proxy');
      expect(textOf(await client.next(finalAnswer))).toContain('behind a proxy');
      expect(client.paths.slice(0, 2)).toEqual([
        'POST /api/v1/voice/session',
        'POST /api/v1/voice/polls',
      ]);
      client.socket.close();
    } finally {
      await proxy.close();
    }
  });

  it('over long-poll, opens a new session when the gateway ends one mid-answer and resumes the answer, every chunk once', async () => {
    const client = await connect(voice.http, 'poll');
    await client.socket.open();
    client.socket.sendText('one two three four five six seven eight');
    await client.next((frame) => frame.type === 'partial' && frame.offset === 3);
    const session = /\/api\/v1\/voice\/polls\/([^/]+)\/frames$/.exec(
      client.paths.find((path) => path.startsWith('GET ')) ?? '',
    )?.[1];
    const ended = await fetch(`${voice.http}/api/v1/voice/polls/${session}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await voice.token()}`, 'x-request-id': 'end-it' },
    });
    expect(ended.status).toBe(204);
    const final = await client.next(finalAnswer);
    expect(client.events.map((event) => event.type)).toContain('reconnecting');
    expect(client.events).toContainEqual({ type: 'open', reconnect: true });
    const partials = client.frames().flatMap((frame) => (frame.type === 'partial' ? [frame] : []));
    expect(partials.map((frame) => frame.offset)).toEqual(partials.map((_, index) => index + 1));
    expect(partials.map((frame) => frame.text).join('')).toBe(textOf(final));
    expect(client.paths.filter((path) => path === 'POST /api/v1/voice/polls')).toHaveLength(2);
    client.socket.close();
  });
});
