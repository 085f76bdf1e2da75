import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake, formField, OPENAI_ERRORS } from '../fakes/openai-fake.ts';
import { audioFrames, speak } from './speech.ts';
import { startVoiceApp, VoiceClient, type VoiceApp } from './support.ts';

/** OpenAI's and Groq's transcription endpoints, as the fakes serve them. */
const OPENAI_STT = '/v1/audio/transcriptions';
const GROQ_STT = '/openai/v1/audio/transcriptions';

let openai: FakeServer;
let groq: FakeServer;
let voice: VoiceApp;
let pcm: Buffer;

beforeAll(async () => {
  [openai, groq, pcm] = await Promise.all([
    createOpenAIFake({ transcript: 'openai heard the weather' }),
    createOpenAIFake({
      name: 'groq',
      prefix: '/openai/v1',
      groq: true,
      transcript: 'groq heard the weather',
    }),
    speak('what is the weather in london', 0.3),
  ]);
  const target = (name: string, provider: string, url: string, model: string) => ({
    name,
    provider,
    model,
    baseURL: url,
    credentials: { secretKeyRef: { name, key: 'api-key' } },
  });
  voice = await startVoiceApp({
    routes: [
      { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
      {
        alias: 'stt',
        retry: { maxAttempts: 1 },
        circuitBreaker: { failureThreshold: 2, openMs: 60_000 },
        targets: [
          { ...target('openai', 'openai', `${openai.url}/v1`, 'whisper-1'), priority: 1 },
          { ...target('groq', 'groq', groq.url, 'whisper-large-v3-turbo'), priority: 2 },
        ],
      },
    ],
    files: { 'credentials/openai__api-key': 'sk-stt', 'credentials/groq__api-key': 'gsk-stt' },
    env: { VOICE_STT_ROUTE: 'stt', VOICE_STT_URL: '' },
  });
});

afterAll(async () => {
  await voice.stop();
  await Promise.all([openai.stop(), groq.stop()]);
});

beforeEach(() => {
  openai.reset();
  groq.reset();
});

const post = async (app: VoiceApp) =>
  fetch(`${app.http}/api/v1/voice:stream`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await app.token()}`,
      'content-type': 'application/json',
      'x-request-id': `stt-route-${Date.now()}`,
    },
    body: JSON.stringify({ codec: 'pcm16', audio: pcm.toString('base64') }),
  });

describe('speech-to-text through VOICE_STT_ROUTE', () => {
  it("posts the utterance to the first target's /v1/audio/transcriptions as multipart, with its model and key", async () => {
    const client = new VoiceClient(`${voice.ws}/api/v1/voice/ws`, {
      headers: { authorization: `Bearer ${await voice.token()}` },
    });
    await client.opened;
    for (const frame of audioFrames(pcm)) client.send(frame);
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
      30_000,
    );
    expect(transcript.text).toBe('openai heard the weather');
    await client.next((frame) => frame.type === 'final' && frame.source === 'answer');
    const [seen] = openai.seen(OPENAI_STT);
    expect(seen?.headers.authorization).toBe('Bearer sk-stt');
    expect(seen?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(formField(seen?.raw ?? '', 'model')).toBe('whisper-1');
    expect(seen?.raw).toContain('filename="speech.wav"');
    expect(groq.seen(GROQ_STT)).toHaveLength(0);
    client.close();
  });

  it('falls back to the second target when the first fails, on the socket', async () => {
    openai.script(OPENAI_STT, OPENAI_ERRORS.overloaded);
    const client = new VoiceClient(`${voice.ws}/api/v1/voice/ws`, {
      headers: { authorization: `Bearer ${await voice.token()}` },
    });
    await client.opened;
    for (const frame of audioFrames(pcm)) client.send(frame);
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
      30_000,
    );
    expect(transcript.text).toBe('groq heard the weather');
    expect(openai.seen(OPENAI_STT)).toHaveLength(1);
    const [seen] = groq.seen(GROQ_STT);
    expect(seen?.headers.authorization).toBe('Bearer gsk-stt');
    expect(formField(seen?.raw ?? '', 'model')).toBe('whisper-large-v3-turbo');
    client.close();
  });

  it('leaves a target out while its circuit is open: after two failures it is not called', async () => {
    openai.script(OPENAI_STT, OPENAI_ERRORS.serverError);
    const third = await post(voice);
    expect(third.status).toBe(200);
    await third.body?.cancel();
    expect(openai.seen(OPENAI_STT)).toHaveLength(1);
    const fourth = await post(voice);
    expect(fourth.status).toBe(200);
    await fourth.body?.cancel();
    expect(openai.seen(OPENAI_STT)).toHaveLength(1);
    expect(groq.seen(GROQ_STT)).toHaveLength(2);
  });
});

describe('speech-to-text errors in the closed vocabulary', () => {
  let refusing: VoiceApp;
  beforeAll(async () => {
    refusing = await startVoiceApp({
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'stt',
          retry: { maxAttempts: 1 },
          targets: [
            { name: 'openai', provider: 'openai', model: 'whisper-1', baseURL: `${openai.url}/v1` },
          ],
        },
      ],
      env: { VOICE_STT_ROUTE: 'stt', VOICE_STT_URL: '' },
    });
  });
  afterAll(async () => {
    await refusing.stop();
  });

  it('says UPSTREAM_AUTH, naming the provider, when the key is refused', async () => {
    openai.script(OPENAI_STT, OPENAI_ERRORS.invalidKey);
    const response = await post(refusing);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      error: { code: 'UPSTREAM_AUTH', details: { provider: 'openai', status: 401 } },
    });
  });

  it('says UPSTREAM_RATE_LIMITED with Retry-After when the provider is rate-limited', async () => {
    openai.script(OPENAI_STT, OPENAI_ERRORS.rateLimited({ 'retry-after': '7' }));
    const response = await post(refusing);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toMatchObject({ error: { code: 'UPSTREAM_RATE_LIMITED' } });
  });
});
