/**
 * The model server in this process (the process-level tests live in tests/model-server/):
 * settings from an environment, readiness around the first load, the OpenAI routes, the
 * admin endpoints, a swap refused by mem_guard over a cgroup that reads as full, swaps by
 * the admin endpoint and by the spec file, a failed warm-up, and metrics.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWithTemplate } from '../../../tests/model-server/tiny.ts';
import type { CgroupMemory } from './cgroup-memory.ts';
import { buildModelServer, type ModelServer } from './server.ts';
import { modelServerSettings } from './settings.ts';
import { parseSpec } from './spec-file.ts';

const TINY = fileURLToPath(new URL('../../../models/tiny', import.meta.url));
const ANSWER = 'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.';
const MiB = 2 ** 20;
const admin = { authorization: 'Bearer t', 'content-type': 'application/json' };

describe('modelServerSettings', () => {
  it('reads the pod environment with its defaults', () => {
    expect(
      modelServerSettings({ MODEL_URI: '/m', MODEL_BYTES: '10', MODEL_TASK: 'chat' }),
    ).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      modelName: 'model',
      model: { uri: '/m', version: 'v1', modelBytes: 10, task: 'chat' },
      maxConcurrency: 4,
      headroomFactor: 1.3,
      rollbackWindowS: 30,
      adminToken: undefined,
    });
  });

  it.each([
    [{}, 'MODEL_URI (or MODEL_SPEC_FILE) is required'],
    [{ MODEL_URI: '/m', PORT: 'x' }, 'PORT=x is not a number from 0 to 65535.'],
    [
      { MODEL_URI: '/m', MODEL_MAX_CONCURRENCY: '1.5' },
      'MODEL_MAX_CONCURRENCY=1.5 is not an integer.',
    ],
    [{ MODEL_URI: '/m', MODEL_TASK: 'vision' }, 'MODEL_TASK=vision is not chat or embeddings.'],
    [
      { MODEL_URI: '/m', MODEL_TLS_DIR: '/tls', MODEL_TLS_CLIENT_CERTIFICATES: 'off' },
      'MODEL_TLS_CLIENT_CERTIFICATES=off is not required or optional.',
    ],
    [
      { MODEL_URI: '/m', MODEL_TLS_CLIENT_CERTIFICATES: 'optional' },
      'MODEL_TLS_CLIENT_CERTIFICATES needs MODEL_TLS_DIR.',
    ],
    [
      { MODEL_URI: '/m', MODEL_HEADROOM_FACTOR: '0.5' },
      'MODEL_HEADROOM_FACTOR=0.5 is not a number from 1 to 100.',
    ],
  ])('refuses %o by name', (env, message) => {
    expect(() => modelServerSettings(env)).toThrow(message);
  });
});

describe('parseSpec', () => {
  it('reads a spec file and refuses a bad one by field', () => {
    expect(
      parseSpec('{"uri":"/m","version":"v2","modelBytes":5,"quantization":"int8"}', 'f'),
    ).toEqual({
      uri: '/m',
      version: 'v2',
      modelBytes: 5,
      quantization: 'int8',
    });
    expect(() => parseSpec('{"uri":"/m"}', 'f')).toThrow('f: version must be a non-empty string.');
    expect(() => parseSpec('{"uri":"/m","version":"v","modelBytes":0}', 'f')).toThrow('modelBytes');
    expect(() => parseSpec('{"uri":"/m","version":"v","task":"x"}', 'f')).toThrow('task');
  });
});

describe('a model server configured by its spec file alone', () => {
  it('loads the version the file names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-spec-'));
    const file = join(dir, 'model.json');
    await writeFile(
      file,
      JSON.stringify({ uri: TINY, version: 'from-file', quantization: 'int8' }),
    );
    const server = await buildModelServer({
      settings: modelServerSettings({ MODEL_SPEC_FILE: file }),
      defaultMetrics: false,
    });
    try {
      expect((await server.start()).version).toBe('from-file');
      expect(server.slot.active?.resolved.weightsPath).toBe(join(TINY, 'onnx/model_int8.onnx'));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the model server in process', () => {
  let work: string;
  let server: ModelServer;
  let url: string;
  let specFile: string;
  // A cgroup v2 with a 1 GiB limit whose working set the test sets.
  let workingSet = 100 * MiB;
  const cgroup = (): Promise<CgroupMemory> =>
    Promise.resolve({
      version: 2,
      dir: '/',
      limitBytes: 1024 * MiB,
      usageBytes: workingSet,
      workingSetBytes: workingSet,
    });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'model-server-'));
    specFile = join(work, 'model.json');
    server = await buildModelServer({
      settings: modelServerSettings({
        MODEL_URI: TINY,
        MODEL_NAME: 'tiny',
        MODEL_BYTES: String(100 * MiB),
        MODEL_ADMIN_TOKEN: 't',
        MODEL_SPEC_FILE: specFile,
        MODEL_ROLLBACK_WINDOW_S: '0.2',
      }),
      readCgroup: cgroup,
      defaultMetrics: false,
    });
    url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const chat = async (stream = false) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream }),
    });
    return { response, text: await response.text() };
  };
  const readiness = async () =>
    (await (await fetch(`${url}/readyz`)).json()) as Record<string, unknown>;
  const model = async () =>
    (await (await fetch(`${url}/admin/model`, { headers: admin })).json()) as {
      state: string;
      active?: { version: string };
      events: { result: string; reason: string }[];
    };

  it('is not ready before the first load, and ready after it', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await chat()).response.status).toBe(503);
    await server.start();
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({
      status: 'ready',
      model: 'tiny',
      version: 'v1',
      runtime: 'onnx',
      task: 'chat',
    });
  });

  it('answers chat whole and streamed, with the version that answered', async () => {
    const whole = await chat();
    expect(whole.response.headers.get('x-model-version')).toBe('v1');
    expect(
      (JSON.parse(whole.text) as { choices: { message: { content: string } }[] }).choices[0]
        ?.message.content,
    ).toBe(ANSWER);
    const streamed = await chat(true);
    const deltas = streamed.text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map(
        (frame) =>
          (JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]
            ?.delta.content ?? '',
      );
    expect(deltas.join('')).toBe(ANSWER);
    expect(streamed.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const embeddings = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', input: 'x' }),
    });
    expect(embeddings.status).toBe(400);
  });

  it('refuses a swap mem_guard says does not fit, and swaps one that does', async () => {
    workingSet = 900 * MiB;
    const refused = await fetch(`${url}/admin/swap`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ uri: TINY, version: 'v2', modelBytes: 100 * MiB }),
    });
    expect(refused.status).toBe(409);
    // The operator reads the refusal from /readyz (and falls back to blue/green).
    expect(await readiness()).toMatchObject({
      status: 'ready',
      version: 'v1',
      swap: { result: 'refused', reason: 'InsufficientHeadroom', to: 'v2' },
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('memory_headroom_low 1');
    // ... and /readyz says so from the latest reading (every 10 s, and on each scrape): what
    // the operator reads for MemoryHeadroomOK (124 MiB free for a 100 MiB model).
    expect(await readiness()).toMatchObject({
      memory: { headroomRatio: 1.24, headroomLow: true },
    });
    workingSet = 100 * MiB;
    const swapped = await fetch(`${url}/admin/swap`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        uri: TINY,
        version: 'v2',
        quantization: 'int8',
        modelBytes: 100 * MiB,
      }),
    });
    expect(swapped.status).toBe(200);
    await server.swapper.settled();
    expect((await model()).active?.version).toBe('v2');
    expect((await chat()).response.headers.get('x-model-version')).toBe('v2');
    expect((await model()).events.map((e) => e.result)).toEqual([
      'refused',
      'switched',
      'completed',
    ]);
    expect(await readiness()).not.toHaveProperty('swap');
  });

  it('swaps when the spec file changes, and keeps the old version when a warm-up fails', async () => {
    await writeFile(specFile, JSON.stringify({ uri: TINY, version: 'v3', quantization: 'int4' }));
    await expect.poll(async () => (await model()).active?.version, { timeout: 10_000 }).toBe('v3');
    await server.swapper.settled();
    const broken = await tinyWithTemplate(join(work, 'broken'), "{{ raise_exception('broken') }}");
    const failed = await fetch(`${url}/admin/swap`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ uri: broken, version: 'v4' }),
    });
    expect(failed.status).toBe(400);
    expect((await model()).active?.version).toBe('v3');
    expect((await model()).events.at(-1)?.reason).toBe('WarmUpFailed');
    expect(await readiness()).toMatchObject({
      version: 'v3',
      swap: { result: 'failed', reason: 'WarmUpFailed', to: 'v4' },
    });
  });

  it('takes a spec back at the active version as nothing to do, keeping the failure to read', async () => {
    const events = (await model()).events.length;
    const same = await fetch(`${url}/admin/swap`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ uri: TINY, version: 'v3' }),
    });
    expect(await same.json()).toMatchObject({
      event: { result: 'completed', reason: 'AlreadyActive' },
    });
    expect((await model()).events).toHaveLength(events);
    expect((await model()).state).toBe('idle');
    expect(await readiness()).toMatchObject({ swap: { reason: 'WarmUpFailed' } });
  });

  it('publishes the served version, swaps, tokens and memory on /metrics', async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'model_server_model_info{model="tiny",version="v3",runtime="onnx",task="chat"} 1',
    );
    expect(metrics).toContain('model_server_swaps_total{result="switched"} 2');
    expect(metrics).toContain('model_server_swaps_total{result="failed"} 1');
    expect(metrics).toContain(`model_server_memory_bytes{kind="cgroup_limit"} ${1024 * MiB}`);
    expect(metrics).toMatch(/model_server_tokens_total\{direction="output"\} [1-9]/);
  });
});
