import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStream, failure } from '../../../../tests/providers/collect.ts';
import { createLocalProvider, hardware, type LocalProvider } from './local.ts';
import { resetHardware } from './hardware.ts';
import { argmax, pickToken } from './sampler.ts';

const modelsDir = fileURLToPath(new URL('../../../../models', import.meta.url));
const ANSWER = 'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.';
const hi = { model: 'tiny', messages: [{ role: 'user' as const, content: 'hi there' }] };
let local: LocalProvider;

beforeAll(() => {
  local = createLocalProvider({ modelsDir });
});
afterAll(() => local.close());

describe('the local provider on the tiny model', () => {
  for (const dtype of ['fp32', 'fp16', 'int8', 'q4']) {
    it(`answers deterministically with greedy decoding from ${dtype} weights`, async () => {
      const { text, done } = await collectStream(local, { ...hi, model: `tiny?dtype=${dtype}` });
      expect(text).toBe(ANSWER);
      expect(done).toEqual({
        type: 'done',
        finishReason: 'stop',
        usage: { inputTokens: 10, outputTokens: 18, cachedTokens: 0 },
      });
    });
  }

  it('streams token by token', async () => {
    const { pieces } = await collectStream(local, hi);
    expect(pieces.slice(0, 4)).toEqual(['Hello', '!', ' I', ' am']);
    expect(pieces).toHaveLength(17);
  });

  it('stops at the token limit with finish reason length', async () => {
    const { text, done } = await collectStream(local, { ...hi, maxTokens: 3 });
    expect(text).toBe('Hello! I');
    expect(done).toMatchObject({ finishReason: 'length', usage: { outputTokens: 3 } });
  });

  it('ends before a stop sequence, even one split across tokens', async () => {
    const { text, done } = await collectStream(local, { ...hi, stop: ['ny loc'] });
    expect(text).toBe('Hello! I am a ti');
    expect(done.finishReason).toBe('stop');
    const held = await collectStream(local, { ...hi, stop: ['model, walking'] });
    expect(held.text).toBe(ANSWER);
  });

  it('continues a prefix instead of starting over', async () => {
    const { text } = await collectStream(local, { ...hi, prefix: 'Hello! I am a tiny' });
    expect(text).toBe(' local model, running on ONNX Runtime inside the gateway.');
  });

  it('samples with top-p from the random source it is given', async () => {
    const first = await collectStream(local, { ...hi, temperature: 1, topP: 0.9, maxTokens: 6 });
    expect(first.text).toBe('Hello! I am a tiny');
    const picks = [0.1, 0.9];
    let call = 0;
    const random = () => picks[call++ % picks.length]!;
    const logits = Float32Array.from([0, 2, 1, -1]);
    expect(pickToken(logits, { temperature: 0, topP: 1 })).toBe(1);
    expect(pickToken(logits, { temperature: 1, topP: 0.5 }, random)).toBe(1);
    expect(pickToken(logits, { temperature: 1, topP: 1 }, () => 0.999)).toBe(3);
    expect(argmax(Float32Array.from([3, 7, 7]))).toBe(1);
  });

  it('computes the same logits with the KV cache as by recomputing the whole sequence', async () => {
    const model = await local.load('tiny');
    const ids = model.tokenizer.encode(
      model.tokenizer.renderChat([{ role: 'user', content: 'tell me about caches' }]),
    );
    const whole = await model.step([...ids, 100, 200], undefined);
    const prefill = await model.step(ids, undefined);
    const one = await model.step([100], prefill.cache);
    const two = await model.step([200], one.cache);
    expect(two.cache.length).toBe(ids.length + 2);
    const difference = Math.max(
      ...whole.logits.map((value, index) => Math.abs(value - (two.logits[index] ?? 0))),
    );
    expect(difference).toBeLessThan(1e-3);
    // The cache matters: the same token without it scores differently.
    const alone = await model.step([200], undefined);
    expect(
      Math.max(...alone.logits.map((value, index) => Math.abs(value - (two.logits[index] ?? 0)))),
    ).toBeGreaterThan(1e-2);
  });

  it('refuses images, tools and a prompt longer than the context', async () => {
    const image = {
      role: 'user' as const,
      content: 'x',
      images: [{ url: 'data:image/png;base64,AA==' }],
    };
    expect(await failure(local, { ...hi, messages: [image] })).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
    });
    expect(await failure(local, { ...hi, tools: [{ name: 't', parameters: {} }] })).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
    });
    const long = { role: 'user' as const, content: 'cache '.repeat(2100) };
    expect(await failure(local, { ...hi, messages: [long] })).toMatchObject({
      code: 'CONTEXT_LENGTH_EXCEEDED',
    });
  });

  it('stops generating when the caller aborts', async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const reading = (async () => {
      for await (const chunk of local.stream(hi, controller.signal)) {
        if (chunk.type === 'text') pieces.push(chunk.text);
        if (pieces.length === 2) controller.abort(new Error('client left'));
      }
    })();
    await expect(reading).rejects.toThrow('client left');
    expect(pieces).toHaveLength(2);
  });
});

describe('a missing or malformed local model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-models-'));
    await cp(join(modelsDir, 'tiny'), join(dir, 'broken-json'), { recursive: true });
    await writeFile(join(dir, 'broken-json', 'config.json'), '{ not json');
    await cp(join(modelsDir, 'tiny'), join(dir, 'broken-onnx'), { recursive: true });
    await writeFile(join(dir, 'broken-onnx', 'onnx', 'model.onnx'), 'not a protobuf');
    await cp(join(modelsDir, 'tiny'), join(dir, 'no-tokenizer'), { recursive: true });
    await rm(join(dir, 'no-tokenizer', 'tokenizer.json'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const fails = async (model: string, message: RegExp) => {
    const provider = createLocalProvider({ modelsDir: dir });
    expect(await failure(provider, { ...hi, model })).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringMatching(message),
    });
  };

  it('names the file that is missing', () =>
    fails('absent', /absent\/onnx\/model\.onnx does not exist/));
  it('names a JSON file that does not parse', () =>
    fails('broken-json', /config\.json is not a JSON object/));
  it('says when onnxruntime cannot load the graph', () =>
    fails('broken-onnx', /onnxruntime could not load/));
  it('names a missing tokenizer', () => fails('no-tokenizer', /tokenizer\.json does not exist/));
  it('refuses an unknown dtype and a name that is a path', async () => {
    await fails('tiny?dtype=fp8', /dtype fp8 is not one of/);
    await fails('../tiny', /a model name is/);
  });
});

describe('hardware detection', () => {
  it('reports the execution provider, the CPU and why CUDA is or is not used', () => {
    const report = hardware();
    expect(['cpu', 'cuda']).toContain(report.executionProvider);
    expect(report.cpu.cores).toBeGreaterThan(0);
    expect(report.memoryBytes).toBeGreaterThan(0);
    expect(report.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(report.cuda.reason.length).toBeGreaterThan(0);
    if (report.gpus.length === 0) expect(report.cuda.available).toBe(false);
  });

  it('uses the CPU when INFERENCE_LOCAL_EP=cpu says so', () => {
    process.env['INFERENCE_LOCAL_EP'] = 'cpu';
    try {
      resetHardware();
      expect(hardware()).toMatchObject({
        executionProvider: 'cpu',
        cuda: { available: false, reason: 'INFERENCE_LOCAL_EP=cpu' },
      });
    } finally {
      delete process.env['INFERENCE_LOCAL_EP'];
      resetHardware();
    }
  });
});
