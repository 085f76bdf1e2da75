import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './browser.ts';
import { startHost, type Host } from './host.ts';

const ROOT = join(import.meta.dirname, '../..');
/** Where `make storybook` builds the site (a prerequisite of `make test`). */
const SITE = join(ROOT, '.tmp/storybook');

/** Each story, and what its DOM shows: the element a selector finds and its text. */
const STORIES: Record<string, { selector: string; text: RegExp }[]> = {
  'components-voicemic--idle': [
    {
      selector: '.enis-voice-mic[data-phase="idle"] button:not([disabled])',
      text: /^Start microphone$/,
    },
    { selector: '[role="status"]', text: /^microphone off$/ },
  ],
  'components-voicemic--listening': [
    {
      selector: '.enis-voice-mic[data-phase="listening"] button[aria-pressed="true"]',
      text: /^Stop microphone$/,
    },
    { selector: '[role="status"]', text: /^listening$/ },
  ],
  'components-voicemic--hearing': [
    { selector: '[role="status"]', text: /^listening \(hearing you\)$/ },
    {
      selector: '.enis-voice-mic[data-phase="listening"] .enis-voice-mic-hearing',
      text: /^what is the weather$/,
    },
  ],
  'components-voicemic--answering': [
    {
      selector: '.enis-voice-mic[data-phase="answering"] [role="status"]',
      text: /^answering \(speak to interrupt\)$/,
    },
  ],
  'components-voicemic--after-barge-in': [
    { selector: '.enis-voice-mic-barge-ins', text: /^1 barge-in, last 22 ms$/ },
  ],
  'components-voicemic--reconnecting': [
    {
      selector: '.enis-voice-mic[data-phase="reconnecting"] [role="status"]',
      text: /^reconnecting \(attempt 2\)$/,
    },
  ],
  'components-voicemic--over-long-poll': [
    {
      selector: '.enis-voice-mic[data-transport="poll"] [role="status"]',
      text: /^listening \(over long-poll\)$/,
    },
  ],
  'components-voicemic--refused': [
    {
      selector: '.enis-voice-mic[data-phase="error"] button[disabled]',
      text: /^Start microphone$/,
    },
    { selector: '[role="status"]', text: /^refused by the gateway$/ },
    { selector: '[role="alert"]', text: /^FORBIDDEN: / },
  ],
  'components-voicemic--microphone-denied': [
    {
      selector: '.enis-voice-mic[data-phase="error"] [role="status"]',
      text: /^microphone unavailable$/,
    },
  ],
  'components-xrfeed--anchors': [
    { selector: '.enis-xr-feed[data-connection="connected"] [role="status"]', text: /^connected$/ },
    { selector: '[aria-label="anchors"]', text: /^desk lampred mugplant$/ },
    { selector: '[aria-label="actions"]', text: /^$/ },
  ],
  'components-xrfeed--answering': [
    {
      selector: '.enis-xr-feed-referent[data-rule="pointing_over_gaze"]',
      text: /^red mug \(point\); gaze on desk lamp overruled$/,
    },
    { selector: '.enis-xr-feed-answer[data-final="false"]', text: /^That is the red mug$/ },
  ],
  'components-xrfeed--with-actions': [
    { selector: '[data-anchor="mug"][data-highlighted="true"]', text: /^red mug$/ },
    { selector: '[data-anchor="lamp"][data-highlighted="false"]', text: /^desk lamp$/ },
    {
      selector: '[aria-label="actions"]',
      text: /^highlight mug #e5484dannotate mug: red mughaptic right 0.5 for 80 ms$/,
    },
    { selector: '.enis-xr-feed-answer[data-final="true"]', text: /you left this morning\.$/ },
  ],
  'components-xrfeed--reconnecting': [
    { selector: '[role="status"]', text: /^reconnecting \(attempt 1\)$/ },
  ],
  'components-xrfeed--refused': [
    {
      selector: '.enis-xr-feed[data-connection="refused"] [role="alert"]',
      text: /^could not connect: /,
    },
  ],
};

let host: Host;
let browser: Browser;

/** Where the preview is with the story: `finished` once rendered and played, or `errored`. */
const renderPhase = (page: Page) =>
  page.evaluate(
    () =>
      (globalThis as { __STORYBOOK_PREVIEW__?: { currentRender?: { phase?: string } } })
        .__STORYBOOK_PREVIEW__?.currentRender?.phase,
  );

beforeAll(async () => {
  const built = await stat(join(SITE, 'index.json')).catch(() => undefined);
  if (built === undefined) throw new Error(`${SITE} is not built: run make storybook`);
  host = await startHost({
    root: SITE,
    upstream: () => 'http://127.0.0.1:9',
    token: () => Promise.reject(new Error('a static site hands out no token')),
  });
  browser = await launch();
});

afterAll(async () => {
  await browser.close();
  await host.stop();
});

describe('the Storybook of @enis/react (make storybook) in Chromium', () => {
  it('has exactly the stories this test checks', async () => {
    const index = JSON.parse(await readFile(join(SITE, 'index.json'), 'utf8')) as {
      entries: Record<string, { type: string }>;
    };
    const stories = Object.entries(index.entries)
      .filter(([, entry]) => entry.type === 'story')
      .map(([id]) => id);
    expect(stories.sort()).toEqual(Object.keys(STORIES).sort());
  });

  it.each(Object.entries(STORIES))('renders %s with no page error', async (id, checks) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // A play function's failed `expect` is logged as an error; the render still finishes.
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${host.origin}/iframe.html?id=${id}&viewMode=story`);
    // The story rendered and its play function, where it has one, ran to its end.
    await expect.poll(() => renderPhase(page), { timeout: 10_000 }).toBe('finished');
    for (const { selector, text } of checks) {
      const found = page.locator(`#storybook-root ${selector}`);
      await expect.poll(() => found.count(), { timeout: 10_000 }).toBe(1);
      expect(await found.textContent()).toMatch(text);
    }
    await page.close();
    expect(errors).toEqual([]);
  });
});
