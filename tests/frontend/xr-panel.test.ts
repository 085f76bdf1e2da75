import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { buildExample, launch } from './browser.ts';
import { startHost, type Host } from './host.ts';

const ROOT = join(import.meta.dirname, '../..');
/** The kept screenshot under UPDATE_SCREENSHOTS=1, else one beside the test run's files. */
const SCREENSHOT =
  process.env['UPDATE_SCREENSHOTS'] === '1'
    ? join(ROOT, 'docs/frontend/xr-panel.png')
    : join(ROOT, '.tmp/screenshots/xr-panel.png');
const TENANT = 'web-ci';
/**
 * The sandbox's mock plays a model that highlights and annotates the vase, and names an
 * anchor the scene does not hold (which the gateway drops). The page looks at the lamp and
 * points at the vase: which anchor the utterance refers to is the gateway's resolution.
 */
const ANSWER = [
  'That is the vase, in front of you.',
  '<action>{"type":"highlight","anchor_id":"vase-2"}</action>',
  '<action>{"type":"annotate","anchor_id":"vase-2","text":"the one you pointed at"}</action>',
  '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
  'It holds water.',
].join(' ');

let work: string;
let config: ConfigDir;
let redis: Redis;
let app: FastifyInstance;
let gateway = '';
let host: Host;
let browser: Browser;

interface Seen {
  sent: Record<'pose' | 'gaze' | 'gesture' | 'voice_vad', number>;
  referents: {
    cause: string;
    rule: string;
    referents: { anchor_id: string; source: string }[];
    overruled?: { anchor_id: string };
  }[];
  actions: { offset: number; action: { type: string; anchor_id?: string } }[];
  chunks: number[];
  sessions: { resumed: boolean; session_key: string }[];
  timing?: {
    streams: Record<
      string,
      { frames: number; dropped_stale: number; dropped_out_of_order: number }
    >;
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xr-panel-'));
  const site = join(work, 'xr-panel');
  await buildExample('xr-panel', site);
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 15_000 },
      sandbox: { tenants: [TENANT], model: `fixed?text=${encodeURIComponent(ANSWER)}&gapMs=150` },
    },
  });
  host = await startHost({
    root: site,
    upstream: () => gateway,
    token: () => config.token({ tenant: TENANT, ttlS: 600 }),
  });
  redis = new Redis(inject('redisUrl'));
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    env: { ...process.env, VOICE_ALLOWED_ORIGINS: host.origin },
  });
  gateway = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await host.stop();
  await app.close();
  redis.disconnect();
  await config.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function openPanel(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
  await page.goto(`${host.origin}/`);
  await expect.poll(() => page.locator('#status').textContent()).toBe('connected');
  return page;
}

const seen = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { xrPanel: Seen }).xrPanel);
const anchor = (page: Page, id: string) => page.locator(`#anchors li[data-id="${id}"]`);
const SHOWN = 'That is the vase, in front of you.    It holds water.';
const utterances = async (page: Page) =>
  (await seen(page)).referents.filter((r) => r.cause === 'utterance');

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#say button');
}

describe('the XR Panel in Chromium', () => {
  it('streams its scene at 30 Hz, none of it out of order, and the gaze alone decides', async () => {
    const page = await openPanel();
    await page.selectOption('#look', 'mug-3');
    const started = Date.now();
    const first = (await seen(page)).sent.gaze;
    await expect
      .poll(async () => (await seen(page)).timing?.streams['gaze']?.frames ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(45);
    const { sent } = await seen(page);
    const hz = (sent.gaze - first) / ((Date.now() - started) / 1000);
    expect(hz).toBeGreaterThan(20);
    expect(hz).toBeLessThan(36);
    await say(page, 'what is this');
    await expect.poll(async () => (await utterances(page)).length).toBe(1);
    const [referent] = await utterances(page);
    expect(referent).toMatchObject({ rule: 'gaze', referents: [{ anchor_id: 'mug-3' }] });
    await expect.poll(() => anchor(page, 'mug-3').getAttribute('data-referent')).toBe('true');
    const { timing } = await seen(page);
    for (const stream of ['pose', 'gaze'])
      expect(timing?.streams[stream]?.dropped_out_of_order).toBe(0);
    await page.close();
  }, 30_000);

  it('highlights the anchor the hand points at, over the gaze, from the streamed answer’s actions', async () => {
    const page = await openPanel();
    await page.selectOption('#look', 'lamp-1');
    await page.selectOption('#point', 'vase-2');
    await expect
      .poll(async () => (await seen(page)).referents.filter((r) => r.cause === 'gesture').length)
      .toBe(1);
    await say(page, 'what is this');
    await expect
      .poll(() => page.locator('#answer').getAttribute('data-final'), { timeout: 15_000 })
      .toBe('true');
    const [referent] = await utterances(page);
    expect(referent).toMatchObject({
      rule: 'pointing_over_gaze',
      referents: [{ anchor_id: 'vase-2', source: 'point' }],
      overruled: { anchor_id: 'lamp-1' },
    });
    expect(await page.locator('#answer').textContent()).toBe(SHOWN);
    const { actions } = await seen(page);
    expect(actions.map((frame) => frame.action)).toEqual([
      { type: 'highlight', anchor_id: 'vase-2' },
      { type: 'annotate', anchor_id: 'vase-2', text: 'the one you pointed at' },
    ]);
    const marks = async (id: string) => ({
      referent: await anchor(page, id).getAttribute('data-referent'),
      highlighted: await anchor(page, id).getAttribute('data-highlighted'),
      overruled: await anchor(page, id).getAttribute('data-overruled'),
    });
    await expect
      .poll(() => marks('vase-2'))
      .toEqual({ referent: 'true', highlighted: 'true', overruled: 'false' });
    expect(await marks('lamp-1')).toEqual({
      referent: 'false',
      highlighted: 'false',
      overruled: 'true',
    });
    expect(await marks('mug-3')).toMatchObject({ highlighted: 'false' });
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    await page.close();
  }, 30_000);

  it('shows the answer and its actions once each when the network is cut and restored mid-answer', async () => {
    const page = await openPanel();
    await page.selectOption('#look', 'lamp-1');
    await page.selectOption('#point', 'vase-2');
    await expect
      .poll(async () => (await seen(page)).referents.filter((r) => r.cause === 'gesture').length)
      .toBe(1);
    await say(page, 'what is this');
    await expect.poll(() => page.locator('#answer').textContent()).toMatch(/^That is/);
    host.cut();
    const before = (await seen(page)).chunks.length;
    await expect.poll(() => page.locator('#status').textContent()).toBe('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 500));
    host.restore();
    await expect
      .poll(() => page.locator('#answer').getAttribute('data-final'), { timeout: 20_000 })
      .toBe('true');
    expect(await page.locator('#status').textContent()).toBe('reconnected');
    expect(await page.locator('#answer').textContent()).toBe(SHOWN);
    const { chunks, sessions } = await seen(page);
    expect(chunks.length).toBeGreaterThan(before);
    expect(chunks).toEqual([...new Set(chunks)].sort((a, b) => a - b));
    expect(sessions.map((frame) => frame.resumed)).toEqual([false, false, true]);
    expect(sessions[2]!.session_key).toBe(sessions[0]!.session_key);
    const { actions } = await seen(page);
    expect(actions.map((frame) => frame.action)).toEqual([
      { type: 'highlight', anchor_id: 'vase-2' },
      { type: 'annotate', anchor_id: 'vase-2', text: 'the one you pointed at' },
    ]);
    expect(await anchor(page, 'vase-2').getAttribute('data-highlighted')).toBe('true');
    await page.close();
  }, 40_000);
});
