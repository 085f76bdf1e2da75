import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir } from '../support/config-dir.ts';
import { startSidecar } from '../voice/stt-sidecar.ts';
import { buildExample, launch, spokenWav } from './browser.ts';
import { startHost, type Host } from './host.ts';

/** The sandbox tenant (docs/sandbox.md): the mock answers, 200 words 50 ms apart (10 s). */
export const TENANT = 'web-ci';

export interface VoiceStack {
  host: Host;
  browser: Browser;
  /** While true, the first token `/demo/token` hands out (`why=initial`) is expired. */
  expireFirstToken: boolean;
  stop(): Promise<void>;
}

/**
 * What a voice example's browser test runs against: the example built by Vite, the STT
 * sidecar, an in-process dataplane with Redis whose tenant `web-ci` is a sandbox tenant, the
 * host that serves the page and `/demo/token` and passes `/api/*` through (page and API on one
 * origin, `VOICE_ALLOWED_ORIGINS` naming it), and Chromium whose fake microphone plays
 * `speech`: espeak-ng speaking `texts` in turn, `gapS` of silence after each.
 */
export function startVoiceStack(options: {
  example: string;
  redisUrl: string;
  texts: string[];
  gapS: number;
}): Promise<VoiceStack> {
  const { texts, gapS, ...rest } = options;
  return startStack({ ...rest, model: 'echo?chunks=200&gapMs=50', speech: { texts, gapS } });
}

/**
 * What an XR page's browser test runs against: as `startVoiceStack`'s, without the STT sidecar
 * and the fake microphone (the XR socket takes transcripts, not audio), the sandbox's mock
 * playing `model` (e.g. `fixed?text=...&gapMs=150`).
 */
export function startXrStack(options: {
  example: string;
  redisUrl: string;
  model: string;
}): Promise<VoiceStack> {
  return startStack(options);
}

/** The stack, with the STT sidecar and a microphone playing `speech` when it is given. */
async function startStack(options: {
  example: string;
  redisUrl: string;
  model: string;
  speech?: { texts: string[]; gapS: number };
}): Promise<VoiceStack> {
  const { speech } = options;
  const work = await mkdtemp(join(tmpdir(), 'frontend-'));
  const site = join(work, options.example);
  const wav = join(work, 'speech.wav');
  const [sidecar] = await Promise.all([
    speech === undefined ? undefined : startSidecar(),
    buildExample(options.example, site),
    speech === undefined ? undefined : spokenWav(wav, speech.texts, speech.gapS),
  ]);
  const config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 15_000 },
      sandbox: { tenants: [TENANT], model: options.model },
    },
  });
  let gateway = '';
  const stack = { expireFirstToken: false };
  const host = await startHost({
    root: site,
    upstream: () => gateway,
    token: (why) =>
      config.token({
        tenant: TENANT,
        ttlS: why === 'initial' && stack.expireFirstToken ? -60 : 600,
      }),
  });
  const redis = new Redis(options.redisUrl);
  const app: FastifyInstance = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    env: {
      ...process.env,
      ...(sidecar === undefined ? {} : { VOICE_STT_URL: sidecar.url }),
      VOICE_ALLOWED_ORIGINS: host.origin,
    },
  });
  gateway = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launch(speech === undefined ? undefined : wav);
  return Object.assign(stack, {
    host,
    browser,
    stop: async () => {
      await browser.close();
      await host.stop();
      await app.close();
      redis.disconnect();
      await config.cleanup();
      await sidecar?.stop();
      await rm(work, { recursive: true, force: true });
    },
  });
}

/**
 * A new 960x720 page of the stack's example, on the host's origin or `origin`; its uncaught
 * errors are pushed onto `errors` when given.
 */
export async function openConsole(
  stack: VoiceStack,
  options: { origin?: string; errors?: string[] } = {},
): Promise<Page> {
  const page = await stack.browser.newPage({ viewport: { width: 960, height: 720 } });
  const { errors } = options;
  if (errors !== undefined) page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${options.origin ?? stack.host.origin}/`);
  return page;
}

/** Runs the steps; a failure says what the page showed (transcript, answer, event log). */
export async function showingPage(page: Page, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const shown = await page.locator('main').innerText();
    throw new Error(`${String(error)}\nThe page showed:\n${shown}`, { cause: error });
  }
}
