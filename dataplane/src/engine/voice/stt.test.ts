import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../routing/router.ts';
import { sttFromEnv } from './stt-config.ts';
import { httpStt } from './stt.ts';

let server: Server | undefined;

afterEach(async () => {
  const running = server;
  server = undefined;
  if (running !== undefined) await new Promise((resolve) => running.close(resolve));
});

/** A local fake of the transcription wire format that answers `status` and `body`. */
async function fake(status: number, body: object): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const created = createServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(created.address() as AddressInfo).port}`, seen };
}

const samples = new Float32Array(1600);
const signal = new AbortController().signal;

describe('httpStt', () => {
  it('posts a WAV to /v1/audio/transcriptions with the key, and returns the text trimmed', async () => {
    const { url, seen } = await fake(200, { text: ' hello ' });
    const stt = httpStt({ url: `${url}/v1/`, model: 'whisper-base', apiKey: 'k' });
    expect(await stt.transcribe(samples, signal)).toBe('hello');
    expect(seen).toEqual(['POST /v1/audio/transcriptions Bearer k']);
  });

  it('turns a refused key into UPSTREAM_AUTH', async () => {
    const refused = await fake(401, {});
    await expect(
      httpStt({ url: refused.url, model: 'm' }).transcribe(samples, signal),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_AUTH',
    });
  });

  it('says UPSTREAM_UNAVAILABLE stt_unreachable when nothing listens', async () => {
    const stt = httpStt({ url: 'http://127.0.0.1:1', model: 'm' });
    await expect(stt.transcribe(samples, signal)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { reason: 'stt_unreachable' },
    });
  });

  it('is configured by VOICE_STT_URL, and absent without it', () => {
    const snapshot = () => {
      throw new Error('not read');
    };
    const router = new Router({
      provider: () => {
        throw new Error('not called');
      },
    });
    expect(sttFromEnv({}, snapshot, router)).toBeUndefined();
    expect(sttFromEnv({ VOICE_STT_URL: 'http://127.0.0.1:9/v1' }, snapshot, router)).toBeDefined();
  });
});
