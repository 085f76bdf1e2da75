import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { screenshotPath } from './browser.ts';
import { openConsole, showingPage, startXrStack, type VoiceStack } from './voice-stack.ts';

/**
 * The sandbox's mock plays a model that highlights (in green) and annotates the vase, and
 * names an anchor the scene does not hold (which the gateway drops). Each test makes the vase
 * the referent: which anchor an utterance refers to is the gateway's resolution.
 */
const ANSWER = [
  'That is the vase, in front of you.',
  '<action>{"type":"highlight","anchor_id":"vase-2","color":"#1f8a4c"}</action>',
  '<action>{"type":"annotate","anchor_id":"vase-2","text":"this one"}</action>',
  '<action>{"type":"highlight","anchor_id":"sofa-9"}</action>',
  'It holds water.',
].join(' ');
/** The answer as shown: the markup out, the spaces around it kept. */
const SHOWN = 'That is the vase, in front of you.    It holds water.';
const ACTIONS = ['highlight vase-2 #1f8a4c', 'annotate vase-2: this one'];

let stack: VoiceStack;
const errors: string[] = [];

interface Seen {
  sent: Record<'pose' | 'gaze' | 'gesture' | 'voice_vad', number>;
  chunks: number[];
  actions: { action: { type: string; anchor_id?: string } }[];
  sessions: { resumed: boolean; session_key: string }[];
  timing?: { streams: Record<string, { frames: number; dropped_out_of_order: number }> };
}

beforeAll(async () => {
  stack = await startXrStack({
    example: 'react-console',
    redisUrl: inject('redisUrl'),
    model: `fixed?text=${encodeURIComponent(ANSWER)}&gapMs=150`,
  });
}, 120_000);

afterAll(async () => {
  await stack.stop();
});

const seen = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { reactXr: Seen }).reactXr);
const feed = (page: Page) => page.locator('.enis-xr-feed');
const connection = (page: Page) => feed(page).getAttribute('data-connection');
/** What the feed says of the socket: its state, a resumed session, the clock offset measured. */
const connectionText = (page: Page) => feed(page).locator('.enis-xr-feed-connection').textContent();
const answer = (page: Page) => feed(page).locator('.enis-xr-feed-answer');
const referent = (page: Page) => feed(page).locator('.enis-xr-feed-referent');
const highlighted = (page: Page, id: string) =>
  feed(page).locator(`li[data-anchor="${id}"]`).getAttribute('data-highlighted');
const actions = (page: Page) => feed(page).locator('.enis-xr-feed-actions li').allTextContents();

/** The console opened on its voice page, then its XR link followed, and the XR socket open. */
async function openXrPage(): Promise<Page> {
  const page = await openConsole(stack, { errors });
  await page.click('nav a[href="#xr"]');
  await expect.poll(() => connection(page)).toBe('connected');
  expect(await page.locator('h1').textContent()).toBe('XR Console (React)');
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#say button');
}

/** Looks at the lamp and points at the vase, until the gateway resolved the point. */
async function pointAtTheVase(page: Page): Promise<void> {
  await page.selectOption('#look', 'lamp-1');
  await page.selectOption('#point', 'vase-2');
  await expect.poll(() => referent(page).textContent()).toMatch(/^vase \(point\)/);
}

describe('the React console’s XR page (useXR, <XRFeed/>) in Chromium', () => {
  it('streams its scene at 30 Hz, and the anchor the gaze rests on is the referent, highlighted with the streamed answer', async () => {
    const page = await openXrPage();
    await page.selectOption('#look', 'vase-2');
    const started = Date.now();
    const first = (await seen(page)).sent.gaze;
    await showingPage(page, async () => {
      await expect
        .poll(async () => (await seen(page)).timing?.streams['gaze']?.frames ?? 0, {
          timeout: 10_000,
        })
        .toBeGreaterThanOrEqual(45);
    });
    const hz = ((await seen(page)).sent.gaze - first) / ((Date.now() - started) / 1000);
    expect(hz).toBeGreaterThan(20);
    expect(hz).toBeLessThan(36);
    expect(await feed(page).locator('li[data-anchor]').allTextContents()).toEqual([
      'lamp',
      'vase',
      'mug',
    ]);
    await say(page, 'what is this');
    await showingPage(page, async () => {
      await expect
        .poll(() => answer(page).getAttribute('data-final'), { timeout: 15_000 })
        .toBe('true');
    });
    expect(await referent(page).textContent()).toBe('vase (gaze)');
    expect(await referent(page).getAttribute('data-rule')).toBe('gaze');
    expect(await feed(page).locator('.enis-xr-feed-utterance').textContent()).toBe('what is this');
    expect(await answer(page).textContent()).toBe(SHOWN);
    expect(await actions(page)).toEqual(ACTIONS);
    expect(await highlighted(page, 'vase-2')).toBe('true');
    expect(await highlighted(page, 'lamp-1')).toBe('false');
    expect(await highlighted(page, 'mug-3')).toBe('false');
    const { timing } = await seen(page);
    for (const stream of ['pose', 'gaze'])
      expect(timing?.streams[stream]?.dropped_out_of_order).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  }, 40_000);

  it('resolves the anchor the hand points at over the gaze, and outlines it in the answer’s colour', async () => {
    const page = await openXrPage();
    await showingPage(page, () => pointAtTheVase(page));
    await say(page, 'what is this');
    await showingPage(page, async () => {
      await expect
        .poll(() => answer(page).getAttribute('data-final'), { timeout: 15_000 })
        .toBe('true');
    });
    expect(await referent(page).textContent()).toBe('vase (point); gaze on lamp overruled');
    expect(await referent(page).getAttribute('data-rule')).toBe('pointing_over_gaze');
    expect(await answer(page).textContent()).toBe(SHOWN);
    expect(await actions(page)).toEqual(ACTIONS);
    expect(await highlighted(page, 'vase-2')).toBe('true');
    expect(await highlighted(page, 'lamp-1')).toBe('false');
    expect(await feed(page).locator('li[data-anchor="vase-2"]').getAttribute('style')).toBe(
      'outline-color: rgb(31, 138, 76);',
    );
    expect((await seen(page)).sent.gesture).toBe(1);
    await page.screenshot({ path: screenshotPath('react-xr.png') });
    await page.close();
    expect(errors).toEqual([]);
  }, 40_000);

  it('reconnects after a network cut mid-answer and resumes its session, showing the answer and its actions once', async () => {
    const page = await openXrPage();
    await showingPage(page, () => pointAtTheVase(page));
    await say(page, 'what is this');
    await expect.poll(() => answer(page).textContent()).toMatch(/^That is/);
    stack.host.cut();
    const before = (await seen(page)).chunks.length;
    await expect.poll(() => connection(page)).toBe('reconnecting');
    expect(await connectionText(page)).toMatch(/^reconnecting \(attempt \d+\)/);
    expect(await page.locator('#status').getAttribute('data-state')).toBe('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 500));
    stack.host.restore();
    await showingPage(page, async () => {
      await expect
        .poll(() => answer(page).getAttribute('data-final'), { timeout: 20_000 })
        .toBe('true');
    });
    expect(await connection(page)).toBe('reconnected');
    expect(await connectionText(page)).toMatch(
      /^reconnected, session resumed(, clock offset -?\d+ ms)?$/,
    );
    expect(await answer(page).textContent()).toBe(SHOWN);
    expect(await actions(page)).toEqual(ACTIONS);
    expect(await highlighted(page, 'vase-2')).toBe('true');
    const { chunks, sessions } = await seen(page);
    expect(chunks.length).toBeGreaterThan(before);
    expect(chunks).toEqual([...new Set(chunks)].sort((a, b) => a - b));
    // The first socket's session, the second socket's fresh one, then the first one resumed.
    expect(sessions.map((frame) => frame.resumed)).toEqual([false, false, true]);
    expect(sessions[2]?.session_key).toBe(sessions[0]?.session_key);
    await page.close();
    expect(errors).toEqual([]);
  }, 40_000);
});
