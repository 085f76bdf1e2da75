/**
 * XR sessions across gateway replicas: two dataplane processes share one real Redis; a
 * session whose socket dropped on one is resumed by a socket on the other, with its anchors,
 * frame window and held gesture, and only once.
 */
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Vec3 } from '../../dataplane/src/engine/xr/geometry.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import type { Frame } from '../voice/support.ts';
import { ANCHORS, HEAD, lookAlong, toward, XrClient } from './support.ts';

let config: ConfigDir;
let token = '';
const replicas: { child: ChildProcess; ws: string }[] = [];
let redis: Redis;

/** A dataplane process (dataplane/src/main.ts) on the config and Redis; its ws:// base. */
async function startReplica(): Promise<{ child: ChildProcess; ws: string }> {
  const child = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      CONFIG_DIR: config.dir,
      PORT: '0',
      LOG_LEVEL: 'info',
      REDIS_URL: inject('redisUrl'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const http = await new Promise<string>((resolve, reject) => {
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
  return { child, ws: http.replace(/^http/, 'ws') };
}

beforeAll(async () => {
  config = await makeConfigDir({
    routes: {
      routes: [
        {
          alias: 'chat',
          targets: [{ name: 'fixed', provider: 'mock', model: 'fixed?text=Noted.' }],
        },
      ],
    },
  });
  replicas.push(...(await Promise.all([startReplica(), startReplica()])));
  redis = new Redis(inject('redisUrl'));
  token = await config.token();
}, 60_000);

afterAll(async () => {
  for (const { child } of replicas) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  redis.disconnect();
  await config.cleanup();
});

async function open(replica: number): Promise<XrClient> {
  const client = new XrClient(`${replicas[replica]!.ws}/api/v1/xr/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await client.opened;
  return client;
}

const is = (type: string) => (frame: Frame) => frame.type === type;
const resumed = (client: XrClient) =>
  client.next((frame) => frame.type === 'session' && frame.resumed === true);

/** The session's copy in Redis, once the replica that served it has written it. */
async function keptCopy(key: string): Promise<string> {
  let found: string[] = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    // Named by the key's hash: the key itself is a resume credential.
    const digest = createHash('sha256').update(key).digest('base64url');
    found = await redis.keys(`*xr:session:acme:${digest}`);
    if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('an XR session across replicas', () => {
  it('resumes on the other replica with its anchors, window and held point, once, for at most 30 s', async () => {
    const first = await open(0);
    const { session_key: key } = await first.session();
    const t = 3_000_000;
    first.frame('anchors', { upsert: ANCHORS }, t);
    const hand = {
      position: [0.2, 0.9, -0.3] as Vec3,
      orientation: lookAlong(toward([0.5, 1, -2], [0.2, 0.9, -0.3])),
    };
    first.frame('pose', { head: HEAD, right_hand: hand }, t);
    first.frame('gesture', { kind: 'point', hand: 'right', phase: 'start' }, t + 1);
    expect(await first.next(is('referent'))).toMatchObject({ referents: [{ anchor_id: 'mug-3' }] });
    first.socket.terminate();
    const copy = await keptCopy(key as string);
    const ttl = await redis.pttl(copy);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    const second = await open(1);
    await second.session();
    second.frame('resume', { session_key: key }, t + 2);
    expect(await resumed(second)).toMatchObject({ session_key: key, anchors: 3 });
    expect(await redis.exists(copy)).toBe(0);
    // No hand pose on this replica: the pointing hand is the window's, from the first one.
    second.frame('gaze', { origin: HEAD.position, direction: toward([-0.5, 1, -2]) }, t + 40);
    second.frame('voice_vad', { state: 'start' }, t + 50);
    second.frame('voice_vad', { state: 'end', text: 'put that one away' }, t + 60);
    expect(await second.next(is('referent'))).toMatchObject({
      rule: 'pointing_over_gaze',
      referents: [{ anchor_id: 'mug-3', source: 'point' }],
      overruled: { anchor_id: 'lamp-1' },
    });

    // The first replica still holds its own, older session under the key: it is not resumed.
    const third = await open(0);
    await third.session();
    third.frame('resume', { session_key: key }, t + 70);
    expect(await third.next(is('error'))).toMatchObject({
      code: 'NOT_FOUND',
      details: { reason: 'unknown_session' },
    });
    third.close();
    second.close();
  });

  it('goes back to the first replica with what the second one added', async () => {
    const first = await open(0);
    const { session_key: key } = await first.session();
    first.frame('anchors', { upsert: ANCHORS }, 1);
    first.socket.terminate();
    await keptCopy(key as string);

    const second = await open(1);
    await second.session();
    second.frame('resume', { session_key: key }, 2);
    await resumed(second);
    const sofa = { ...ANCHORS[0]!, id: 'sofa-4', label: 'sofa' };
    second.frame('anchors', { upsert: [sofa] }, 3);
    second.socket.terminate();
    await keptCopy(key as string);

    // The first replica's own copy of the session is older than the second's: the newer wins.
    const back = await open(0);
    await back.session();
    back.frame('resume', { session_key: key }, 4);
    expect(await resumed(back)).toMatchObject({ session_key: key, anchors: 4 });
    back.close();
  });
});
