/**
 * The in-pod swap in a real model-server process under load from the official `openai`
 * client: no failed request and no broken stream across swaps triggered by the admin endpoint
 * and by the spec file; a stream that began on the old version finishes on it; a failed
 * load or warm-up keeps the old version; an error-rate spike after the switch swaps back.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import { eventually } from '../support/eventually.ts';
import {
  spawnModelServer,
  TINY,
  TINY_ANSWER,
  waitReady,
  type ModelServerProcess,
} from './process.ts';
import { chatLoad, tinyWithTemplate } from './tiny.ts';

const TOKEN = 'swap-admin';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const hi = [{ role: 'user' as const, content: 'hi there' }];

interface ModelStatus {
  state: string;
  active?: { version: string };
  standby?: { version: string };
  events: {
    result: string;
    reason: string;
    message: string;
    from?: string;
    to?: string;
    inFlightOnOld?: number;
  }[];
}
const status = async (server: ModelServerProcess) =>
  (await (await fetch(`${server.url}/admin/model`, { headers })).json()) as ModelStatus;
const swap = (server: ModelServerProcess, spec: object) =>
  fetch(`${server.url}/admin/swap`, { method: 'POST', headers, body: JSON.stringify(spec) });
const idle = (server: ModelServerProcess) =>
  eventually(async () => (await status(server)).state === 'idle', 30_000);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-swap-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Chat load against `server`: whole answers and streams, each checked in full. */
const load = (server: ModelServerProcess, workers: number) =>
  chatLoad(
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 }),
    'tiny',
    workers,
  );

describe('an in-pod swap under load', () => {
  let server: ModelServerProcess;
  let specFile: string;
  beforeAll(async () => {
    specFile = join(work, 'model.json');
    server = await spawnModelServer({
      MODEL_URI: TINY,
      MODEL_VERSION: 'v1',
      MODEL_NAME: 'tiny',
      MODEL_ADMIN_TOKEN: TOKEN,
      MODEL_SPEC_FILE: specFile,
      MODEL_ROLLBACK_WINDOW_S: '1',
    });
    await waitReady(server);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('fails no request and breaks no stream, by the admin endpoint and by the spec file', async () => {
    const traffic = load(server, 6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const response = await swap(server, { uri: TINY, version: 'v2', quantization: 'int8' });
    expect(response.status).toBe(200);
    const { event } = (await response.json()) as {
      event: { result: string; from: string; to: string };
    };
    expect(event).toMatchObject({ result: 'switched', from: 'v1', to: 'v2' });
    await idle(server);
    // The ConfigMap way: the spec file changes, the server swaps.
    await writeFile(
      specFile,
      JSON.stringify({ uri: `file://${TINY}`, version: 'v3', quantization: 'int4' }),
    );
    await eventually(async () => (await status(server)).active?.version === 'v3', 20_000);
    await idle(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const tally = await traffic.stop();
    expect(tally.failed).toEqual([]);
    expect(tally.ok).toBeGreaterThan(20);
    expect(tally.streams).toBeGreaterThan(10);
    expect([...new Set(tally.versions)].sort()).toEqual(['v1', 'v2', 'v3']);
    const events = (await status(server)).events.map((e) => `${e.result} ${e.from}->${e.to}`);
    expect(events).toEqual([
      'switched v1->v2',
      'completed v1->v2',
      'switched v2->v3',
      'completed v2->v3',
    ]);
    expect((await status(server)).standby).toBeUndefined();
  });

  it('keeps the old version when the new one fails to load (checksum) or to warm up', async () => {
    const bad = await swap(server, {
      uri: TINY,
      version: 'v4',
      checksum: `sha256:${'1'.repeat(64)}`,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { details: { reason: 'LoadFailed', phase: 'verify' } },
    });
    const broken = await tinyWithTemplate(
      join(work, 'broken'),
      "{{ raise_exception('this version is broken') }}",
    );
    const cold = await swap(server, { uri: broken, version: 'v5' });
    expect(cold.status).toBe(400);
    expect(await cold.json()).toMatchObject({
      error: {
        message: expect.stringContaining('this version is broken'),
        details: { reason: 'WarmUpFailed' },
      },
    });
    const now = await status(server);
    expect(now.active?.version).toBe('v3');
    expect(now.events.slice(-2).map((e) => e.reason)).toEqual(['LoadFailed', 'WarmUpFailed']);
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: 'tiny', messages: hi });
    expect(answer.choices[0]?.message.content).toBe(TINY_ANSWER);
  });

  it('swaps back when the new version fails too many answers within the window', async () => {
    // Warms up (its warm-up message passes) and then refuses every real chat.
    const flaky = await tinyWithTemplate(
      join(work, 'flaky'),
      "{% if messages[0]['content'] != 'Warm-up.' %}{{ raise_exception('regression in v6') }}{% endif %}",
    );
    const response = await fetch(`${server.url}/admin/swap`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ uri: flaky, version: 'v6' }),
    });
    expect(response.status).toBe(200);
    const traffic = load(server, 4);
    await eventually(
      async () => (await status(server)).events.at(-1)?.result === 'rolled_back',
      10_000,
    );
    await idle(server);
    const tally = await traffic.stop();
    const last = (await status(server)).events.at(-1);
    expect(last).toMatchObject({
      result: 'rolled_back',
      reason: 'ErrorRateExceeded',
      from: 'v6',
      to: 'v3',
    });
    expect(last?.message).toMatch(/^\d+ of \d+ answers of v6 failed within [\d.]+ s of the switch/);
    expect(tally.failed.length).toBeGreaterThanOrEqual(5);
    expect((await status(server)).active?.version).toBe('v3');
    const after = load(server, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await after.stop()).failed).toEqual([]);
  });
});

describe('a stream in flight across the switch', () => {
  it('finishes on the old version while new requests get the new one', async () => {
    const smollm2 = cachedModel('smollm2-135m-instruct').id;
    expect(existsSync(smollm2), `${smollm2} is missing: run \`make models-fetch\``).toBe(true);
    // v1 is SmolLM2 on llama.cpp (a slow stream), v2 the tiny ONNX model (a fast load).
    const server = await spawnModelServer({
      MODEL_URI: smollm2,
      MODEL_VERSION: 'v1',
      MODEL_ADMIN_TOKEN: TOKEN,
      MODEL_ROLLBACK_WINDOW_S: '0',
      MODEL_DRAIN_TIMEOUT_S: '120',
    });
    try {
      await waitReady(server);
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const { data: stream, response } = await openai.chat.completions
        .create({
          model: 'model',
          messages: [{ role: 'user', content: 'Tell me a long story about the sea.' }],
          max_completion_tokens: 24,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      expect(response.headers.get('x-model-version')).toBe('v1');
      let swapped: { event: { inFlightOnOld: number; to: string } } | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null | undefined;
      let during: string | undefined;
      for await (const chunk of stream) {
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
        if (swapped === undefined && chunk.choices[0]?.delta.content) {
          const answer = await swap(server, { uri: TINY, version: 'v2' });
          swapped = (await answer.json()) as typeof swapped;
          const next = await openai.chat.completions
            .create({ model: 'tiny', messages: hi })
            .withResponse();
          during = `${next.response.headers.get('x-model-version')}: ${next.data.choices[0]?.message.content}`;
        }
      }
      expect(swapped?.event).toMatchObject({ to: 'v2', inFlightOnOld: 1 });
      expect(during).toBe(`v2: ${TINY_ANSWER}`);
      expect(finish).toBe('length');
      expect(usage?.completion_tokens).toBe(24);
      await idle(server);
      const now = await status(server);
      expect(now.active?.version).toBe('v2');
      expect(now.standby).toBeUndefined();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 90_000);
});
