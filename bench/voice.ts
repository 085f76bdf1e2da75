/**
 * The voice benchmark (docs/benchmarks.md, "Voice"): `node bench/voice.ts [rounds=20] [idle=1000]`.
 *
 * 1. TTFT and barge-in: the dataplane as its own process (memory stores) with a zero-latency
 *    mock LLM and the local faster-whisper sidecar; espeak-ng utterances sent over the voice
 *    socket in 20 ms frames in real time. TTFT, the wait for the transcript and barge-in
 *    latency are the server's own figures (its `metrics` and `barge_in` frames); the
 *    gateway's share of TTFT is TTFT less that wait. TTFT three ways in the same run: the
 *    transcript begun at the VAD's end (the baseline), begun early, and begun early with
 *    transcript frames while speaking, and begun early with the answer speculated in the pause
 *    (VOICE_SPECULATIVE_ANSWER); each p50 as a ratio to the baseline's.
 * 2. Idle sockets: a dataplane process's RSS before and after `idle` idle voice sockets.
 * 3. VAD: frames of 512 samples that one core runs Silero VAD v5 on, in this process.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { audioFrames, speak } from '../tests/voice/speech.ts';
import { startSidecar } from '../tests/voice/stt-sidecar.ts';
import { VoiceClient, type Frame } from '../tests/voice/support.ts';
import { createVad } from '../dataplane/src/engine/voice/vad.ts';
import { pcm16ToFloat } from '../dataplane/src/engine/voice/wav.ts';
import { fmt, machineLine, summarize } from './stats.ts';

const rounds = Number(process.argv[2] ?? 20);
const idle = Number(process.argv[3] ?? 1000);
const ROOT = join(import.meta.dirname, '..');

console.log(await machineLine());
const sidecar = await startSidecar();
const config = await makeConfigDir({
  routes: {
    routes: [
      { alias: 'chat', targets: [{ name: 'zero', provider: 'mock', model: 'echo' }] },
      {
        alias: 'long',
        targets: [{ name: 'long', provider: 'mock', model: 'echo?chunks=200&gapMs=10' }],
      },
    ],
  },
});
const token = await config.token();

/** `node dataplane/src/main.ts` with the voice environment; its URL and pid. */
async function dataplane(model: string, voice: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...voice,
    CONFIG_DIR: config.dir,
    PORT: '0',
    LOG_LEVEL: 'info',
    VOICE_STT_URL: sidecar.url,
    VOICE_MODEL: model,
  };
  delete env['REDIS_URL'];
  const child = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => {
      reject(new Error(`dataplane exited ${code}: ${output}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  const rssMiB = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
  };
  return {
    ws: `${url.replace(/^http/, 'ws')}/api/v1/voice/ws`,
    rssMiB,
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}

async function open(url: string): Promise<VoiceClient> {
  const client = new VoiceClient(url, { headers: { authorization: `Bearer ${token}` } });
  await client.opened;
  return client;
}

/** Sends 20 ms frames in real time, as a microphone would. */
async function say(client: VoiceClient, pcm: Buffer): Promise<void> {
  const started = performance.now();
  for (const [index, frame] of audioFrames(pcm).entries()) {
    const due = started + index * 20 - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    client.send(frame);
  }
}

const question = await speak('what is the weather in london', 0.6);
const interruption = await speak('tell me a joke instead', 0.6);

// 1a. TTFT with the zero-latency mock: the transcript begun at the VAD's end (the baseline),
// begun early in the pause, and begun early with transcript frames while speaking.
const ways: [string, NodeJS.ProcessEnv][] = [
  [
    'transcribed at the end (baseline)',
    {
      VOICE_EARLY_TRANSCRIPT: 'off',
      VOICE_PARTIAL_TRANSCRIPT_MS: '0',
      VOICE_SPECULATIVE_ANSWER: 'off',
    },
  ],
  [
    'begun early',
    {
      VOICE_EARLY_TRANSCRIPT: 'on',
      VOICE_PARTIAL_TRANSCRIPT_MS: '0',
      VOICE_SPECULATIVE_ANSWER: 'off',
    },
  ],
  [
    'begun early, transcript frames every 1 s',
    {
      VOICE_EARLY_TRANSCRIPT: 'on',
      VOICE_PARTIAL_TRANSCRIPT_MS: '1000',
      VOICE_SPECULATIVE_ANSWER: 'off',
    },
  ],
  [
    'begun early, answer speculated in the pause (the default)',
    {
      VOICE_EARLY_TRANSCRIPT: 'on',
      VOICE_PARTIAL_TRANSCRIPT_MS: '0',
      VOICE_SPECULATIVE_ANSWER: 'on',
    },
  ],
];
let baselineP50: number | undefined;
for (const [way, env] of ways) {
  const server = await dataplane('chat', env);
  const client = await open(server.ws);
  const ttft: number[] = [];
  const stt: number[] = [];
  const gateway: number[] = [];
  let transcripts = 0;
  let speculative = 0;
  for (let round = 0; round < rounds + 2; round++) {
    const seen = client.frames.length;
    await say(client, question);
    const metrics = await client.next(
      (frame) => client.frames.indexOf(frame) >= seen && frame.type === 'metrics',
      60_000,
    );
    if (round < 2) continue; // warm-up
    if (metrics.speculative === true) speculative++;
    transcripts += client.frames.slice(seen).filter((frame) => frame.type === 'transcript').length;
    ttft.push(metrics.ttft_ms as number);
    stt.push(metrics.stt_ms as number);
    gateway.push((metrics.ttft_ms as number) - (metrics.stt_ms as number));
  }
  client.close();
  const p50 = summarize(ttft).p50;
  baselineP50 ??= p50;
  console.log(
    `${way}: TTFT p50 ${fmt(p50)}, ${(p50 / baselineP50).toFixed(2)}x the baseline; ${(transcripts / rounds).toFixed(1)} transcript frames a turn; ${speculative} of ${rounds} answers adopted from the pause`,
  );
  report('TTFT (end of speech to first partial)', ttft);
  report('  of which the wait for the transcript', stt);
  report("  gateway's share (TTFT - that wait)", gateway);
  server.stop();
}

// 2. Idle sockets on one process.
{
  const server = await dataplane('chat');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = await server.rssMiB();
  const sockets: VoiceClient[] = [];
  for (let i = 0; i < idle; i++) sockets.push(await open(server.ws));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = await server.rssMiB();
  console.log(
    `idle sockets: ${idle}, dataplane RSS ${before.toFixed(0)} MiB -> ${after.toFixed(0)} MiB (+${(((after - before) * 1024) / idle).toFixed(1)} KiB a socket)`,
  );
  for (const socket of sockets) socket.socket.terminate();
  server.stop();
}

// 1b. Barge-in: a long answer, interrupted once it streams.
{
  const server = await dataplane('long');
  const client = await open(server.ws);
  const bargeIn: number[] = [];
  for (let round = 0; round < rounds + 2; round++) {
    const seen = client.frames.length;
    const fresh = (match: (frame: Frame) => boolean) => (frame: Frame) =>
      client.frames.indexOf(frame) >= seen && match(frame);
    await say(client, question);
    await client.next(
      fresh((frame) => frame.type === 'partial'),
      60_000,
    );
    void say(client, interruption);
    const frame = await client.next(
      fresh((f) => f.type === 'barge_in'),
      60_000,
    );
    // The interruption's own answer, then quiet before the next round.
    await client.next(
      fresh((f) => f.type === 'metrics' && f.ttft_ms !== undefined),
      60_000,
    );
    if (round >= 2) bargeIn.push(frame.latency_ms as number);
  }
  client.close();
  server.stop();
  report("barge-in (onset frame's arrival to cancel)", bargeIn);
}

// 3. VAD frames per second on one core.
{
  const samples = pcm16ToFloat(question);
  const none = () => undefined;
  const vad = await createVad({
    onFrame: none,
    onSpeechCandidate: none,
    onSpeechStart: none,
    onSpeechEnd: none,
    onMisfire: none,
  });
  let frames = 0;
  const started = performance.now();
  while (performance.now() - started < 3000) {
    for (let at = 0; at + 512 <= samples.length; at += 512) {
      await vad.push(samples.subarray(at, at + 512));
      frames++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await vad.close();
  console.log(
    `VAD: ${(frames / seconds).toFixed(0)} frames of 512 samples a second on one core (${((frames * 512) / 16000 / seconds).toFixed(0)} x real time)`,
  );
}

await sidecar.stop();
await config.cleanup();

function report(name: string, samples: number[]): void {
  const { p50, p99, n } = summarize(samples);
  console.log(`${name}: p50 ${fmt(p50)}, p99 ${fmt(p99)} (n=${n})`);
}
