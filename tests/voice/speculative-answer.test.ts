import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { audioFrames, speak } from './speech.ts';
import { startVoiceApp, VoiceClient, type Frame, type VoiceApp } from './support.ts';

// A fast STT (the OpenAI fake's transcriptions, "openai heard you" whatever the audio) so the
// early transcript is ready inside the VAD's 384 ms pause, and the real VAD on espeak-ng speech.
let stt: FakeServer;
let on: VoiceApp;
let off: VoiceApp;
const routes = [
  {
    alias: 'chat',
    targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=30&gapMs=20' }],
  },
];

beforeAll(async () => {
  stt = await createOpenAIFake();
  const env = { VOICE_STT_URL: `${stt.url}/v1`, VOICE_PARTIAL_TRANSCRIPT_MS: '0' };
  on = await startVoiceApp({ routes, env });
  off = await startVoiceApp({ routes, env: { ...env, VOICE_SPECULATIVE_ANSWER: 'off' } });
});

afterAll(async () => {
  await on.stop();
  await off.stop();
  await stt.stop();
});

async function open(voice: VoiceApp): Promise<VoiceClient> {
  const client = new VoiceClient(`${voice.ws}/api/v1/voice/ws`, {
    headers: { authorization: `Bearer ${await voice.token()}` },
  });
  await client.opened;
  return client;
}

/** 20 ms frames at the pace a microphone sends them. */
async function sayInRealTime(client: VoiceClient, pcm: Buffer): Promise<void> {
  const started = performance.now();
  for (const [index, frame] of audioFrames(pcm).entries()) {
    const due = started + index * 20 - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    client.send(frame);
  }
}

/** pcm16 from its first to its last sample louder than a whisper. */
function voiced(pcm: Buffer): Buffer {
  const loud = (at: number) => Math.abs(pcm.readInt16LE(at)) > 500;
  let start = 0;
  while (start < pcm.length && !loud(start)) start += 2;
  let end = pcm.length - 2;
  while (end > start && !loud(end)) end -= 2;
  return pcm.subarray(start, end + 2);
}

/**
 * A moment in real time with no frame sent. The VAD counts samples, not time: the caller is
 * still in the pause meanwhile, and the gateway catches up on frames that reached it bunched
 * (on a loaded machine, a real-time pace is not kept), so that an early transcript begun in
 * the pause is answered before the audio after the pause arrives.
 */
const catchUp = () => new Promise((resolve) => setTimeout(resolve, 400));

async function metric(voice: VoiceApp, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${voice.http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = pattern.exec(line);
    if (match !== null) sum += Number(match[1]);
  }
  return sum;
}

const speculations = (outcome: string) =>
  new RegExp(`^inference_voice_speculations_total\\{outcome="${outcome}"\\} (\\d+)$`);
const cancelledCalls =
  /^gen_ai_client_operation_duration_seconds_count\{.*error_type="cancelled".*\} (\d+)$/;

describe('the answer begun in the pause', () => {
  it('is adopted at the end of speech: its answer arrives once, in order, with no duplicate frame', async () => {
    const adoptedBefore = await metric(on, speculations('adopted'));
    const client = await open(on);
    const speech = await speak('what is the weather in london', 1);
    // Most of the pause (espeak-ng's own silence and a second), the rest after a moment.
    await sayInRealTime(client, speech.subarray(0, speech.length - 0.7 * 16000 * 2));
    await catchUp();
    await sayInRealTime(client, speech.subarray(speech.length - 0.7 * 16000 * 2));
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
      30_000,
    );
    const metrics = await client.next(
      (frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id,
      30_000,
    );
    expect(metrics.speculative).toBe(true);
    const ofTurn = client.frames.filter((frame: Frame) => frame.turn_id === transcript.turn_id);
    const partials = ofTurn.filter((frame) => frame.type === 'partial');
    const answers = ofTurn.filter((frame) => frame.type === 'final' && frame.source === 'answer');
    expect(answers).toHaveLength(1);
    expect(partials.map((frame) => frame.offset)).toEqual(partials.map((_, index) => index + 1));
    expect(partials.every((frame) => frame.stream_id === transcript.stream_id)).toBe(true);
    expect(partials.map((frame) => frame.text).join('')).toBe(answers[0]?.text);
    expect(await metric(on, speculations('adopted'))).toBe(adoptedBefore + 1);
    client.close();
  });

  it('is cancelled upstream and never sent when the caller speaks again in the pause', async () => {
    const discardedBefore = await metric(on, speculations('discarded'));
    const cancelledBefore = await metric(on, cancelledCalls);
    const client = await open(on);
    // espeak-ng's own silence around each clip is cut, so the pause between them is 300 ms:
    // past the 96 ms where the early transcript starts, short of the VAD's 384 ms end.
    const first = voiced(await speak('what is the weather', 0));
    const second = voiced(await speak('in london tomorrow', 0));
    const pause = Buffer.alloc(0.3 * 16000 * 2);
    await sayInRealTime(client, Buffer.concat([first, pause]));
    await catchUp();
    await sayInRealTime(client, Buffer.concat([second, Buffer.alloc(32000)]));
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
      30_000,
    );
    await client.next(
      (frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id,
      30_000,
    );
    expect(await metric(on, speculations('discarded'))).toBeGreaterThan(discardedBefore);
    await expect
      .poll(() => metric(on, cancelledCalls), { timeout: 5000 })
      .toBeGreaterThan(cancelledBefore);
    // Only the adopted or normal turn's answer reached the client: one transcript, one stream.
    const answerFrames = client.frames.filter(
      (frame) => frame.type === 'partial' || (frame.type === 'final' && frame.source === 'answer'),
    );
    expect(answerFrames.length).toBeGreaterThan(0);
    expect(answerFrames.every((frame) => frame.stream_id === transcript.stream_id)).toBe(true);
    expect(
      client.frames.filter((frame) => frame.type === 'final' && frame.source === 'transcript'),
    ).toHaveLength(1);
    client.close();
  });

  it('off starts no answer before the end of speech', async () => {
    const client = await open(off);
    await sayInRealTime(client, await speak('what is the weather in london', 1));
    const transcript = await client.next(
      (frame) => frame.type === 'final' && frame.source === 'transcript',
      30_000,
    );
    const metrics = await client.next(
      (frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id,
      30_000,
    );
    expect(metrics.speculative).toBeUndefined();
    expect(await metric(off, /^inference_voice_speculations_total\{.*\} (\d+)$/)).toBe(0);
    client.close();
  });
});
