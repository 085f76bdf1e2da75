import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { floatToWav, pcm16ToFloat } from '../../dataplane/src/engine/voice/wav.ts';
import { speak } from '../voice/speech.ts';

/** Debian's chromium-headless-shell (`make chromium`); Playwright never downloads a browser here. */
export const CHROMIUM = '/usr/lib/chromium/chromium-headless-shell';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Where a test's screenshot goes: `.tmp/screenshots/<name>` by default, so a run leaves the tree
 * clean, and `docs/frontend/<name>` (the ones docs/frontend.md shows) with UPDATE_SCREENSHOTS=1.
 * Playwright creates the folder.
 */
export function screenshotPath(name: string): string {
  const folder = process.env['UPDATE_SCREENSHOTS'] === '1' ? 'docs/frontend' : '.tmp/screenshots';
  return join(ROOT, folder, name);
}

/** Builds an example (examples/<name>, Vite, with its own `vite.config.ts`) into `outDir`. */
export async function buildExample(name: string, outDir: string): Promise<void> {
  await build({
    root: join(ROOT, 'examples', name),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

/**
 * A headless Chromium whose microphone is Chromium's fake device playing `wav` once
 * (`%noloop`), so a page that calls getUserMedia hears exactly that recording.
 */
export function launch(wav?: string): Promise<Browser> {
  const args = ['--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
  if (wav !== undefined)
    args.push(
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** `espeak-ng` speaking each text in turn, `gapS` seconds of silence after each, as a WAV. */
export async function spokenWav(path: string, texts: string[], gapS: number): Promise<void> {
  const parts: Buffer[] = [];
  for (const text of texts) parts.push(await speak(text, gapS));
  await writeFile(path, floatToWav(pcm16ToFloat(Buffer.concat(parts))));
}
