import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { screenshotPath } from './browser.ts';
import type { Host } from './host.ts';
import {
  openConsole as openStackPage,
  showingPage,
  startVoiceStack,
  type VoiceStack,
} from './voice-stack.ts';

let stack: VoiceStack;
let host: Host;
const errors: string[] = [];

interface Seen {
  chunks: { stream: string; offset: number }[];
  finals: string[];
}

beforeAll(async () => {
  stack = await startVoiceStack({
    example: 'react-console',
    redisUrl: inject('redisUrl'),
    // As the vanilla console's test: a question, then the caller speaking over its 10 s answer.
    texts: ['what is the weather in london', 'tell me a joke instead'],
    gapS: 10,
  });
  ({ host } = stack);
}, 120_000);

afterAll(async () => {
  await stack.stop();
});

const openConsole = () => openStackPage(stack, { errors });

const seen = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { reactConsole: Seen }).reactConsole);
const status = (page: Page) => page.locator('#status');

describe('the React Voice Console (useVoice, <VoiceMic/>) in Chromium', () => {
  it('hears the microphone: the transcript, the streamed answer, then a barge-in and the new question answered', async () => {
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    const mic = page.locator('.enis-voice-mic');
    expect(await mic.getAttribute('data-phase')).toBe('idle');
    await mic.locator('button').click();
    await expect.poll(() => mic.getAttribute('data-phase')).toMatch(/^(listening|answering)$/);
    const transcript = page.locator('#transcript li');
    await showingPage(page, async () => {
      await expect
        .poll(() => transcript.first().textContent(), { timeout: 30_000 })
        .toMatch(/london/i);
      await expect
        .poll(() => page.locator('#answer').textContent(), { timeout: 15_000 })
        .toMatch(/^Echo: /);
      await expect
        .poll(() => page.locator('#events li.barge-in').count(), { timeout: 30_000 })
        .toBe(1);
      await expect
        .poll(() => transcript.nth(1).textContent(), { timeout: 30_000 })
        .toMatch(/tell me/i);
      await expect
        .poll(() => page.locator('#answer').textContent(), { timeout: 15_000 })
        .toMatch(/tell me/i);
    });
    expect(await mic.locator('.enis-voice-mic-barge-ins').textContent()).toMatch(/^1 barge-in/);
    await page.screenshot({ path: screenshotPath('react-console.png') });
    await page.close();
    expect(errors).toEqual([]);
  }, 90_000);

  it('loses no chunk and repeats none when the network is cut and restored mid-answer', async () => {
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    await page.fill('#text', 'a question across a network cut');
    await page.click('#typed button');
    await expect.poll(async () => (await seen(page)).chunks.length).toBeGreaterThanOrEqual(10);
    host.cut();
    await expect.poll(() => status(page).textContent()).toMatch(/^reconnecting/);
    expect(await page.locator('.enis-voice-mic').getAttribute('data-phase')).toBe('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 500));
    host.restore();
    await expect
      .poll(() => page.locator('#answer').getAttribute('data-final'), { timeout: 20_000 })
      .toBe('true');
    const { chunks, finals } = await seen(page);
    expect(chunks.map((chunk) => chunk.offset)).toEqual(chunks.map((_, i) => i + 1));
    expect(chunks.length).toBe(200);
    expect(await page.locator('#answer').textContent()).toBe(finals[0]);
    expect(await status(page).textContent()).toBe('reconnected');
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
