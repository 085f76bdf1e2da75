import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../support/sse.ts';
import { audioFrames, opusFrames, speak } from './speech.ts';
import { startSidecar, type Sidecar } from './stt-sidecar.ts';
import { startVoiceApp, VoiceClient, type Frame, type VoiceApp } from './support.ts';

let sidecar: Sidecar;
let voice: VoiceApp;

beforeAll(async () => {
  sidecar = await startSidecar();
  voice = await startVoiceApp({
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo?chunks=120&gapMs=20' }],
      },
    ],
    env: { VOICE_STT_URL: sidecar.url, VOICE_PARTIAL_TRANSCRIPT_MS: '1000' },
  });
});

afterAll(async () => {
  await voice.stop();
  await sidecar.stop();
});

async function open(): Promise<VoiceClient> {
  const client = new VoiceClient(`${voice.ws}/api/v1/voice/ws`, {
    headers: { authorization: `Bearer ${await voice.token()}` },
  });
  await client.opened;
  return client;
}

function say(client: VoiceClient, pcm: Buffer, firstSeq = 0): void {
  for (const frame of audioFrames(pcm, firstSeq)) client.send(frame);
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

const transcriptOf = (frame: Frame) => frame.type === 'final' && frame.source === 'transcript';
const answerOf = (turn: unknown) => (frame: Frame) =>
  frame.type === 'final' && frame.source === 'answer' && frame.turn_id === turn;

describe('speech on the voice socket', () => {
  it('is transcribed with the spoken words and answered, with its timings', async () => {
    const client = await open();
    say(client, await speak('what is the weather in london'));
    const transcript = await client.next(transcriptOf, 30_000);
    expect(String(transcript.text).toLowerCase()).toMatch(/weather in london/);
    const answer = await client.next(answerOf(transcript.turn_id), 30_000);
    expect(String(answer.text).toLowerCase()).toContain('weather');
    const metrics = await client.next(
      (frame) => frame.type === 'metrics' && frame.turn_id === transcript.turn_id,
    );
    expect(metrics.stt_ms).toBeGreaterThan(0);
    expect(metrics.ttft_ms).toBeGreaterThan(0);
    const text = await (await fetch(`${voice.http}/metrics`)).text();
    expect(text).toMatch(/^inference_voice_stt_seconds_count\{early="(true|false)"\} [1-9]/m);
    expect(text).toMatch(
      /^inference_voice_ttft_seconds_count\{speculative="(true|false)"\} [1-9]/m,
    );
    client.close();
  });

  it('spoken in real time gets vad and transcript frames of its turn, and a transcript begun before the end of speech', async () => {
    const earlyCount = async () => {
      const text = await (await fetch(`${voice.http}/metrics`)).text();
      return Number(
        /^inference_voice_stt_seconds_count\{early="true"\} (\d+)/m.exec(text)?.[1] ?? 0,
      );
    };
    const earlyBefore = await earlyCount();
    const client = await open();
    await sayInRealTime(
      client,
      await speak('what is the weather in london today and what will it be like tomorrow'),
    );
    const transcript = await client.next(transcriptOf, 30_000);
    const before = client.frames.slice(0, client.frames.indexOf(transcript));
    // The VAD's decisions, of the same turn, came before it.
    expect(
      before.filter((frame) => frame.type === 'vad').map((frame) => [frame.speech, frame.turn_id]),
    ).toEqual([
      ['start', transcript.turn_id],
      ['end', transcript.turn_id],
    ]);
    // How many transcript frames come depends on the sidecar's speed (the unit tests count
    // them); those that came are of this turn.
    const partials = before.filter((frame) => frame.type === 'transcript');
    expect(partials.every((frame) => frame.turn_id === transcript.turn_id)).toBe(true);
    await client.next(answerOf(transcript.turn_id), 30_000);
    expect(await earlyCount()).toBe(earlyBefore + 1);
    client.close();
  });

  it('in Opus packets is decoded, transcribed and answered', async () => {
    const client = await open();
    for (const frame of await opusFrames(await speak('what is the weather in london')))
      client.send(frame);
    const transcript = await client.next(transcriptOf, 30_000);
    // 24 kbit/s Opus of espeak-ng's voice: whisper-base hears "weather" as "winner" at times.
    expect(String(transcript.text).toLowerCase()).toMatch(/what is the \w+ in london/);
    await client.next(answerOf(transcript.turn_id), 30_000);
    client.close();
  });

  it('spoken again mid-answer barges in: the answer is cancelled and the new words answered', async () => {
    const client = await open();
    say(client, await speak('what is the weather in london'));
    const first = await client.next(transcriptOf, 30_000);
    await client.next((frame) => frame.type === 'partial' && frame.turn_id === first.turn_id);
    say(client, await speak('tell me a joke instead'), 10_000);
    const bargeIn = await client.next((frame) => frame.type === 'barge_in', 30_000);
    expect(bargeIn.turn_id).toBe(first.turn_id);
    expect(bargeIn.latency_ms).toBeGreaterThanOrEqual(0);
    const second = await client.next(
      (frame) => transcriptOf(frame) && frame.turn_id !== first.turn_id,
      30_000,
    );
    expect(String(second.text).toLowerCase()).toMatch(/tell me .*instead/);
    await client.next(answerOf(second.turn_id), 30_000);
    expect(client.frames.some(answerOf(first.turn_id))).toBe(false);
    const afterBargeIn = client.frames.slice(client.frames.indexOf(bargeIn));
    expect(afterBargeIn.some((f) => f.type === 'partial' && f.turn_id === first.turn_id)).toBe(
      false,
    );
    const text = await (await fetch(`${voice.http}/metrics`)).text();
    expect(text).toMatch(/^inference_voice_barge_in_seconds_count [1-9]/m);
    client.close();
  });

  it('dropped mid-answer and resumed on a new socket loses no frame (more than 10 replayed)', async () => {
    const first = await open();
    say(first, await speak('what is the weather in paris'));
    const transcript = await first.next(transcriptOf, 30_000);
    await first.next((frame) => frame.type === 'partial' && frame.offset === 5);
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
    const final = await second.next((frame) => frame.type === 'final', 30_000);
    const replayed = second.frames.filter((frame) => frame.type === 'partial');
    expect(replayed.length).toBeGreaterThan(10);
    const all = [...seen, ...replayed];
    expect(all.map((frame) => frame.offset)).toEqual(all.map((_, index) => index + 1));
    expect(all.map((frame) => frame.text).join('')).toBe(final.text);
    second.close();
  });
});

describe('POST /api/v1/voice:stream', () => {
  const post = async (body: object) =>
    fetch(`${voice.http}/api/v1/voice:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await voice.token()}`,
        'content-type': 'application/json',
        'x-request-id': 'voice-stream-1',
      },
      body: JSON.stringify(body),
    });

  it('transcribes one utterance and streams its answer as resumable SSE', async () => {
    const pcm = await speak('what is the weather in london', 0.3);
    const response = await post({ codec: 'pcm16', audio: pcm.toString('base64') });
    expect(response.status).toBe(200);
    const events: SseEvent[] = [];
    for await (const event of readSse(response.body!)) {
      events.push(event);
      if (event.event === 'done' || event.event === 'error') break;
    }
    expect(events.map((event) => event.event).slice(0, 2)).toEqual(['resume', 'transcript']);
    const transcript = JSON.parse(events[1]!.data) as { text: string; stt_ms: number };
    expect(transcript.text.toLowerCase()).toMatch(/weather in london/);
    expect(transcript.stt_ms).toBeGreaterThan(0);
    const text = events
      .filter((event) => event.event === 'data')
      .map((event) => (JSON.parse(event.data) as { text: string }).text)
      .join('');
    expect(text.toLowerCase()).toContain('weather');
    expect(events.at(-1)?.event).toBe('done');
  });

  it('decodes an utterance of Opus packets, transcribes it and streams its answer', async () => {
    const packets = (await opusFrames(await speak('what is the weather in london', 0.3))).map(
      (frame) => (frame as { payload: string }).payload,
    );
    const response = await post({ codec: 'opus', audio: packets });
    expect(response.status).toBe(200);
    const events: SseEvent[] = [];
    for await (const event of readSse(response.body!)) {
      events.push(event);
      if (event.event === 'done' || event.event === 'error') break;
    }
    const transcript = JSON.parse(events[1]!.data) as { text: string };
    // 24 kbit/s Opus of espeak-ng's voice: whisper-base hears "weather" as "winner" at times.
    expect(transcript.text.toLowerCase()).toMatch(/what is the \w+ in london/);
    expect(events.at(-1)?.event).toBe('done');
  });

  it('refuses Opus audio that is not an array of packets, and pcm16 that is, naming body.audio', async () => {
    const opusString = await post({ codec: 'opus', audio: 'AAAA' });
    expect(opusString.status).toBe(400);
    expect(await opusString.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', details: { path: 'body.audio' } },
    });
    const pcmArray = await post({ codec: 'pcm16', audio: ['AAAA'] });
    expect(pcmArray.status).toBe(400);
    expect(await pcmArray.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', details: { path: 'body.audio' } },
    });
  });

  it('refuses audio with half a sample, and audio with no speech, naming body.audio', async () => {
    const odd = await post({ codec: 'pcm16', audio: Buffer.alloc(3).toString('base64') });
    expect(odd.status).toBe(400);
    const silence = await post({ codec: 'pcm16', audio: Buffer.alloc(32000).toString('base64') });
    expect(silence.status).toBe(400);
    expect(await silence.json()).toMatchObject({
      error: { details: { path: 'body.audio', reason: 'no_speech' } },
    });
  });
});

describe('speech with no speech-to-text configured', () => {
  let bare: VoiceApp;
  beforeAll(async () => {
    bare = await startVoiceApp({
      routes: [{ alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] }],
      env: { VOICE_STT_URL: '' },
    });
  });
  afterAll(async () => {
    await bare.stop();
  });

  it('is refused by name, and typed turns still work', async () => {
    const client = new VoiceClient(`${bare.ws}/api/v1/voice/ws`, {
      headers: { authorization: `Bearer ${await bare.token()}` },
    });
    await client.opened;
    client.send(audioFrames(Buffer.alloc(640))[0]);
    expect(await client.next((frame) => frame.type === 'error')).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { reason: 'stt_not_configured' },
    });
    client.text('hello');
    await client.next((frame) => frame.type === 'final' && frame.source === 'answer');
    client.close();
  });
});
