import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Speech from Debian's espeak-ng (a test fixture, never shipped) as 16 kHz mono pcm16, with
 * `silenceS` of silence after it (what makes the VAD call the utterance ended).
 */
export async function speak(text: string, silenceS = 1): Promise<Buffer> {
  const { stdout } = await run('espeak-ng', ['-s', '140', '--stdout', text], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wav = stdout as unknown as Buffer;
  const rate = wav.readUInt32LE(24);
  const data = wav.indexOf('data', 12, 'ascii') + 8;
  const source = new Int16Array(
    wav.buffer.slice(
      wav.byteOffset + data,
      wav.byteOffset + wav.length - ((wav.length - data) % 2),
    ),
  );
  const length = Math.floor((source.length * 16000) / rate);
  const out = Buffer.alloc((length + Math.round(silenceS * 16000)) * 2);
  for (let i = 0; i < length; i++) {
    const at = (i * rate) / 16000;
    const left = Math.floor(at);
    const right = Math.min(left + 1, source.length - 1);
    const sample = (source[left] ?? 0) + ((source[right] ?? 0) - (source[left] ?? 0)) * (at - left);
    out.writeInt16LE(Math.round(sample), i * 2);
  }
  return out;
}

/** pcm16 cut into 20 ms audio frames (640 bytes) of the voice socket's contract. */
export function audioFrames(pcm: Buffer, firstSeq = 0): object[] {
  const frames: object[] = [];
  for (let at = 0, seq = firstSeq; at < pcm.length; at += 640, seq++) {
    frames.push({
      type: 'audio',
      codec: 'pcm16',
      seq,
      ts: Date.now(),
      payload: pcm.subarray(at, at + 640).toString('base64'),
    });
  }
  return frames;
}

/** pcm16 as Opus audio frames, one 20 ms packet each (libopus through PyAV, tests/voice/opus_packets.py). */
export async function opusFrames(pcm: Buffer): Promise<object[]> {
  const root = join(import.meta.dirname, '../..');
  const child = spawn(
    join(root, '.tmp/venv/bin/python'),
    [join(root, 'tests/voice/opus_packets.py')],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end(pcm);
  if ((await exited) !== 0) throw new Error('opus_packets.py failed');
  return output
    .trim()
    .split('\n')
    .map((payload, seq) => ({ type: 'audio', codec: 'opus', seq, ts: Date.now(), payload }));
}
