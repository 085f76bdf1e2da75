import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { audioFrames, speak } from './speech.ts';
import { startVoiceApp, VoiceClient, type Frame, type VoiceApp } from './support.ts';

const SPEECH = '/v1/audio/speech';

let openai: FakeServer;
let voice: VoiceApp;
let textOnly: VoiceApp;

beforeAll(async () => {
  openai = await createOpenAIFake();
  const chat = {
    alias: 'chat',
    targets: [{ name: 'echo', provider: 'mock', model: 'echo?gapMs=40' }],
  };
  voice = await startVoiceApp({
    routes: [
      chat,
      {
        alias: 'tts',
        targets: [
          {
            name: 'openai',
            provider: 'openai',
            model: 'gpt-4o-mini-tts',
            baseURL: `${openai.url}/v1`,
          },
        ],
      },
    ],
    // The fake's transcription: what the barge-in's utterance is heard as.
    env: { VOICE_TTS_ROUTE: 'tts', VOICE_STT_URL: `${openai.url}/v1` },
  });
  textOnly = await startVoiceApp({ routes: [chat], env: { VOICE_TTS_ROUTE: '' } });
});

afterAll(async () => {
  await Promise.all([voice.stop(), textOnly.stop()]);
  await openai.stop();
});

beforeEach(() => {
  openai.reset();
});

async function open(app: VoiceApp): Promise<VoiceClient> {
  const client = new VoiceClient(`${app.ws}/api/v1/voice/ws`, {
    headers: { authorization: `Bearer ${await app.token()}` },
  });
  await client.opened;
  return client;
}

const tts = (voiceName?: string) => ({
  type: 'control',
  seq: 1,
  ts: Date.now(),
  payload: { action: 'tts', ...(voiceName === undefined ? {} : { voice: voiceName }) },
});
const isTranscript = (frame: Frame) => frame.type === 'final' && frame.source === 'transcript';
const speechOf = (client: VoiceClient, turn: unknown) =>
  client.frames.filter((frame) => frame.type === 'audio' && frame.turn_id === turn);

describe('server speech (VOICE_TTS_ROUTE)', () => {
  it("speaks the answer a sentence at a time as audio frames, in order, through the route's speech API", async () => {
    const client = await open(voice);
    client.send(tts('nova'));
    client.text('It rains. Take a coat! Bye', 2);
    const transcript = await client.next(isTranscript);
    const answer = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'answer',
    );
    expect(answer.text).toBe('Echo: It rains. Take a coat! Bye');
    await client.next((frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id);
    const spoken = speechOf(client, transcript.turn_id);
    expect(spoken.map((frame) => [frame.index, frame.codec, frame.text])).toEqual([
      [0, 'mp3', 'Echo: It rains.'],
      [1, 'mp3', 'Take a coat!'],
      [2, 'mp3', 'Bye'],
    ]);
    expect(spoken.map((frame) => Buffer.from(String(frame.payload), 'base64').toString())).toEqual([
      'FAKE-MP3:nova:Echo: It rains.',
      'FAKE-MP3:nova:Take a coat!',
      'FAKE-MP3:nova:Bye',
    ]);
    expect(openai.seen(SPEECH).map((request) => request.body)).toContainEqual({
      model: 'gpt-4o-mini-tts',
      input: 'Take a coat!',
      voice: 'nova',
      response_format: 'mp3',
    });
    client.close();
  });

  it('is text only until the session asks for it', async () => {
    const client = await open(voice);
    client.text('It rains.', 2);
    const transcript = await client.next(isTranscript);
    await client.next((frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id);
    expect(speechOf(client, transcript.turn_id)).toEqual([]);
    expect(openai.seen(SPEECH)).toHaveLength(0);
    client.close();
  });

  it('stops speaking at a barge-in: the sentence being synthesised is cancelled and never sent', async () => {
    openai.script(SPEECH, { kind: 'stall' });
    const client = await open(voice);
    client.send(tts());
    client.text('It rains. Take a coat! Bye', 2);
    const first = await client.next(isTranscript);
    await client.next((frame) => frame.type === 'final' && frame.source === 'answer');
    for (const frame of audioFrames(await speak('what is the weather in london'), 10))
      client.send(frame);
    const bargeIn = await client.next((frame) => frame.type === 'barge_in', 20_000);
    expect(bargeIn.turn_id).toBe(first.turn_id);
    const second = await client.next(
      (frame) => isTranscript(frame) && frame.turn_id !== first.turn_id,
      20_000,
    );
    await client.next((frame) => frame.type === 'audio' && frame.turn_id === second.turn_id);
    expect(speechOf(client, first.turn_id)).toEqual([]);
    expect(speechOf(client, second.turn_id).map((frame) => frame.text)).toEqual([
      'Echo: openai heard you',
    ]);
    client.close();
  });
});

describe('server speech where the gateway has no VOICE_TTS_ROUTE', () => {
  it('is refused by name, and the session goes on in text', async () => {
    const client = await open(textOnly);
    client.send(tts());
    expect(await client.next((frame) => frame.type === 'error')).toMatchObject({
      code: 'BAD_REQUEST',
      seq: 1,
      details: { parameter: 'tts', reason: 'tts_disabled' },
    });
    client.text('It rains.', 2);
    await client.next((frame) => frame.type === 'final' && frame.source === 'answer');
    client.close();
  });
});
