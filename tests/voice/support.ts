import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { WebSocket } from 'ws';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { buildApp } from '../../dataplane/src/app.ts';

/** A downlink frame as the client reads it. */
export type Frame = Record<string, unknown> & { type: string };

export interface VoiceApp {
  app: FastifyInstance;
  config: ConfigDir;
  redis: Redis;
  /** ws:// base of the listening app. */
  ws: string;
  http: string;
  token(scopes?: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A listening dataplane with a Redis stream buffer and the given voice environment; `files`
 * are written into the contract first (`credentials/<name>__<key>`).
 */
export async function startVoiceApp(options: {
  env?: Record<string, string>;
  routes: object[];
  files?: Record<string, string>;
}): Promise<VoiceApp> {
  const config = await makeConfigDir({
    routes: { routes: options.routes },
    gateway: { defaultModel: 'chat', streams: { heartbeatMs: 60_000 } },
  });
  for (const [path, text] of Object.entries(options.files ?? {})) await config.write(path, text);
  const redis = new Redis(inject('redisUrl'));
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    env: { ...process.env, ...options.env },
  });
  const http = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    config,
    redis,
    http,
    ws: http.replace(/^http/, 'ws'),
    token: (scopes) => config.token(scopes === undefined ? {} : { scopes }),
    stop: async () => {
      await app.close();
      redis.disconnect();
      await config.cleanup();
    },
  };
}

/** A voice socket client that records every frame it reads. */
export class VoiceClient {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(
    url: string,
    options: ConstructorParameters<typeof WebSocket>[2] = {},
    protocols?: string[],
  ) {
    this.socket = new WebSocket(url, protocols, options);
    this.socket.on('message', (data) => {
      this.frames.push(JSON.parse((data as Buffer).toString('utf8')) as Frame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => {
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => {
        resolve({ code, reason: String(reason) });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  text(text: string, seq = 1): void {
    this.send({ type: 'control', seq, ts: Date.now(), payload: { action: 'text', text } });
  }

  /** Waits until a frame matches (and returns it), failing after `timeoutMs`. */
  async next(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ;) {
      for (; seen < this.frames.length; seen++) {
        const frame = this.frames[seen]!;
        if (match(frame)) return frame;
      }
      if (this.socket.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame; last: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** The HTTP status a refused upgrade answered with, and its JSON body. */
export function refusedUpgrade(
  url: string,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
  protocols?: string[],
): Promise<{
  status: number;
  body: { error: { code: string; details?: Record<string, unknown> } };
}> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    socket.once('open', () => {
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => undefined);
    socket.once('unexpected-response', (request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += String(chunk)));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
      });
    });
  });
}
