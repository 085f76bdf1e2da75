// EnisClient.voiceStream: one utterance over plain HTTP (POST /api/v1/voice:stream), against a
// listening dataplane whose speech-to-text is the OpenAI fake's transcription endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from '../../../tests/fakes/fake-server.ts';
import { createOpenAIFake } from '../../../tests/fakes/openai-fake.ts';
import { startVoiceApp, type VoiceApp } from '../../../tests/voice/support.ts';
import { EnisClient, EnisError, type StreamEvent } from '../src/index.ts';
import { startProxy } from './support/proxy.ts';

let openai: FakeServer;
let voice: VoiceApp;

beforeAll(async () => {
  openai = await createOpenAIFake({ transcript: 'what is the weather' });
  voice = await startVoiceApp({
    routes: [
      { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo?gapMs=50' }] },
    ],
    env: { VOICE_STT_URL: `${openai.url}/v1` },
  });
});

afterAll(async () => {
  await voice.stop();
  await openai.stop();
});

/** Half a second of a 440 Hz tone, 16 kHz pcm16: the fake hears its transcript in any audio. */
function tone(): string {
  const samples = new Int16Array(8000).map((_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)),
  );
  return Buffer.from(samples.buffer).toString('base64');
}

async function collect(events: AsyncIterable<StreamEvent>) {
  const all: StreamEvent[] = [];
  for await (const event of events) if (event.type !== 'resume') all.push(event);
  return all;
}

describe('voiceStream', () => {
  it("yields the utterance's transcript, then its answer's chunks, then done", async () => {
    const client = new EnisClient({ baseUrl: voice.http, token: await voice.token() });
    const events = await collect(client.voiceStream({ codec: 'pcm16', audio: tone() }));
    expect(events[0]).toMatchObject({ type: 'transcript', text: 'what is the weather' });
    const texts = events.filter((event) => event.type === 'text');
    expect(texts.map((event) => event.text).join('')).toBe('Echo: what is the weather');
    expect(texts.map((event) => event.offset)).toEqual(texts.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
  });

  it('resumes the answer after a connection that went silent, every chunk once', async () => {
    const proxy = await startProxy(voice.http, (index) =>
      index === 0 ? { kind: 'stall', afterId: 1 } : { kind: 'forward' },
    );
    try {
      const client = new EnisClient({
        baseUrl: proxy.url,
        token: await voice.token(),
        stream: { heartbeatTimeoutMs: 400 },
        retry: { baseDelayMs: 10, maxDelayMs: 20 },
      });
      const events = await collect(client.voiceStream({ codec: 'pcm16', audio: tone() }));
      const texts = events.filter((event) => event.type === 'text');
      expect(texts.map((event) => event.text).join('')).toBe('Echo: what is the weather');
      expect(texts.map((event) => event.offset)).toEqual(texts.map((_, i) => i + 1));
      expect(proxy.seen.map((seen) => seen.path)).toEqual([
        '/api/v1/voice:stream',
        '/api/v1/inference:resume',
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('raises half a sample as a typed BAD_REQUEST before any stream', async () => {
    const client = new EnisClient({ baseUrl: voice.http, token: await voice.token() });
    const error = await collect(client.voiceStream({ codec: 'pcm16', audio: 'AAAA' })).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(EnisError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
  });
});
