import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '../..');

export interface Sidecar {
  /** The OpenAI-style base URL (VOICE_STT_URL). */
  url: string;
  stop(): Promise<void>;
}

/**
 * The faster-whisper sidecar (dataplane/src/engine/voice/stt_sidecar.py) from the tests' venv
 * (`make .tmp/venv/.installed`) on a free loopback port, its model in .tmp/voice/whisper-base.
 */
export async function startSidecar(): Promise<Sidecar> {
  const child = spawn(
    join(ROOT, '.tmp/venv/bin/python'),
    [
      join(ROOT, 'dataplane/src/engine/voice/stt_sidecar.py'),
      '--port',
      '0',
      '--model-dir',
      join(ROOT, '.tmp/voice/whisper-base'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1' } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`stt sidecar exited with ${code}`));
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match !== null) resolve(Number(match[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
