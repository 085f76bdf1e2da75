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

interface Seen {
  chunks: { stream: string; offset: number }[];
  finals: string[];
}

beforeAll(async () => {
  stack = await startVoiceStack({
    example: 'voice-console',
    redisUrl: inject('redisUrl'),
    // Whisper hears espeak-ng's words through the browser's resampling a little differently
    // run to run ('whatever in London', 'joking, sir'): the tests match the steady words.
    // The first question, then, 10 s later while its 10 s answer streams, the caller speaks over
    // it (the gap leaves room for whisper-base taking seconds on a loaded machine).
    texts: ['what is the weather in london', 'tell me a joke instead'],
    gapS: 10,
  });
  ({ host } = stack);
}, 120_000);

afterAll(async () => {
  await stack.stop();
});

const openConsole = (origin?: string) =>
  openStackPage(stack, origin === undefined ? {} : { origin });

const seen = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { voiceConsole: Seen }).voiceConsole);
const status = (page: Page) => page.locator('#status');

describe('the Voice Console in Chromium', () => {
  it('hears the microphone: the transcript, the streamed answer, then a barge-in and the new question answered', async () => {
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    await page.click('#mic');
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
    await page.screenshot({ path: screenshotPath('voice-console.png') });
    await page.close();
  }, 90_000);

  it('loses no chunk and repeats none when the network is cut and restored mid-answer', async () => {
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    await page.fill('#text', 'a question across a network cut');
    await page.click('#typed button');
    await expect.poll(async () => (await seen(page)).chunks.length).toBeGreaterThanOrEqual(10);
    host.cut();
    await expect.poll(() => status(page).textContent()).toMatch(/^reconnecting/);
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
  }, 60_000);

  it('falls back to HTTP long-poll where a proxy refuses the socket, says so, answers over it and hears the microphone', async () => {
    host.refuseUpgrades(true);
    try {
      const page = await openConsole();
      await expect.poll(() => status(page).textContent()).toBe('connected');
      expect(await page.locator('#transport').textContent()).toBe('over HTTP long-poll');
      expect(await page.locator('#events li.transport').textContent()).toMatch(
        /could not open .*long-poll/,
      );
      await page.fill('#text', 'a question over long-poll');
      await page.click('#typed button');
      await expect
        .poll(() => page.locator('#answer').getAttribute('data-final'), { timeout: 20_000 })
        .toBe('true');
      const { chunks, finals } = await seen(page);
      expect(chunks.map((chunk) => chunk.offset)).toEqual(chunks.map((_, i) => i + 1));
      expect(await page.locator('#answer').textContent()).toBe(finals.at(-1));
      expect(finals.at(-1)).toMatch(/a question over long-poll/);
      // The microphone's pcm16 frames go up in POSTed batches: the gateway hears the question
      // and streams its answer down the long polls.
      await page.click('#mic');
      await showingPage(page, async () => {
        // The transcript so far: the typed line, the gateway's transcript of it, what it heard.
        await expect
          .poll(() => page.locator('#transcript li').allTextContents(), { timeout: 30_000 })
          .toEqual([
            '(typed) a question over long-poll',
            'a question over long-poll',
            expect.stringMatching(/london/i),
          ]);
        await expect
          .poll(() => page.locator('#answer').textContent(), { timeout: 15_000 })
          .toMatch(/^Echo: .*london/i);
      });
      expect(await page.locator('#transport').textContent()).toBe('over HTTP long-poll');
      const streams = new Set((await seen(page)).chunks.map((chunk) => chunk.stream));
      expect(streams.size).toBe(2);
      await page.close();
    } finally {
      host.refuseUpgrades(false);
    }
  }, 90_000);

  it('runs over the socket where nothing refuses it', async () => {
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    expect(await page.locator('#transport').textContent()).toBe('over WebSocket');
    await page.close();
  });

  it('refreshes an expired token through its callback and connects', async () => {
    stack.expireFirstToken = true;
    const asked = host.tokensAsked.length;
    const page = await openConsole();
    await expect.poll(() => status(page).textContent()).toBe('connected');
    expect(host.tokensAsked.slice(asked)).toEqual(['initial', 'expired']);
    stack.expireFirstToken = false;
    await page.close();
  });

  it('is refused on an origin the environment does not allow', async () => {
    // The same host under another name: origin http://localhost:<port>, not in the allowlist.
    const page = await openConsole(host.origin.replace('127.0.0.1', 'localhost'));
    await expect.poll(() => status(page).textContent()).toBe('refused');
    await page.close();
  });
});
