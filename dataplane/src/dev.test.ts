import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApp } from './app.ts';
import { prepareDevOverlay } from './dev.ts';

const embeddedDir = fileURLToPath(new URL('../../config', import.meta.url));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-overlay-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the development overlay of make run', () => {
  it('adds a route per provider key in the environment, Groq models only from their variables', async () => {
    const env = {
      OPENAI_API_KEY: 'sk-dev',
      GROQ_API_KEY: 'gsk-dev',
      GROQ_MODEL_LARGE: 'a-groq-model',
    };
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env });
    expect(overlay.added).toEqual(['openai', 'groq-large']);
    expect(overlay.notes).toEqual([
      'groq-small: set GROQ_MODEL_SMALL to a groq model id to add this route',
      'groq-medium: set GROQ_MODEL_MEDIUM to a groq model id to add this route',
    ]);
    const routes = parse(await readFile(join(overlay.configDir, 'routes.yaml'), 'utf8')) as {
      routes: { alias: string }[];
    };
    expect(routes.routes.map((route) => route.alias)).toEqual([
      'chat',
      'chat-q4',
      'echo',
      'chat-with-fallback',
      'embed',
      'openai',
      'groq-large',
    ]);
    expect(routes.routes.at(-1)).toMatchObject({
      targets: [{ provider: 'groq', modelFrom: { env: 'GROQ_MODEL_LARGE' } }],
    });
    expect(
      await readFile(join(overlay.configDir, 'credentials', 'dev-providers__openai'), 'utf8'),
    ).toBe('sk-dev');
    const app = await buildApp({
      configDirs: [embeddedDir, overlay.configDir],
      env,
      watch: false,
      defaultMetrics: false,
    });
    try {
      expect([...app.services.snapshot().routes.keys()]).toContain('groq-large');
      expect(app.services.snapshot().routes.get('openai')?.targets[0]).toMatchObject({
        apiKey: 'sk-dev',
        model: 'gpt-5-mini',
      });
      expect(app.services.snapshot().routes.get('groq-large')?.targets[0]?.model).toBe(
        'a-groq-model',
      );
    } finally {
      await app.close();
    }
  });

  it('leaves the embedded routes alone when no key is set, removing what an earlier run wrote', async () => {
    await prepareDevOverlay(dir, { embeddedDir, env: { ANTHROPIC_API_KEY: 'sk-ant' } });
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env: {} });
    expect(overlay.added).toEqual([]);
    await expect(stat(join(overlay.configDir, 'routes.yaml'))).rejects.toThrow();
    await expect(stat(join(overlay.configDir, 'credentials'))).rejects.toThrow();
  });
});
