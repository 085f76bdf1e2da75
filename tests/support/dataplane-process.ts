import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '../batch/support.ts';

export interface DataplaneProcess {
  url: string;
  child: ChildProcess;
}

/** `node dataplane/src/main.ts` on a contract directory and a Redis, listening on a free port. */
export async function spawnDataplane(
  configDir: string,
  redisUrl: string,
): Promise<DataplaneProcess> {
  const child = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      CONFIG_DIR: configDir,
      REDIS_URL: redisUrl,
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor('the dataplane to listen', () => {
    if (child.exitCode !== null) throw new Error(`The dataplane exited early:\n${output}`);
    return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  });
  return { url, child };
}
