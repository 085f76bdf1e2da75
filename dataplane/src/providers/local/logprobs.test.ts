import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chunk, TokenLogprob } from '../../core/types.ts';
import { createLocalProvider, type LocalProvider } from './local.ts';
import { LogprobAligner, logSoftmaxAt, tokenProbability } from './logprobs.ts';

const modelsDir = fileURLToPath(new URL('../../../../models', import.meta.url));
const ANSWER = 'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.';

describe('logSoftmaxAt', () => {
  const logits = Float32Array.from([1, 3, 2, 3]);
  const logZ = Math.log(Math.exp(1) + 2 * Math.exp(3) + Math.exp(2));

  it('is the log-softmax of the logits, the top ids most likely first, ties to the lower id', () => {
    const { logprob, top } = logSoftmaxAt(logits, 2, 3, 0);
    expect(logprob).toBeCloseTo(2 - logZ, 6);
    expect(top.map(({ id }) => id)).toEqual([1, 3, 2]);
    expect(top[0]?.logprob).toBeCloseTo(3 - logZ, 6);
  });

  it('is taken at the sampling temperature, and lists no alternatives when none are asked', () => {
    const { logprob, top } = logSoftmaxAt(logits, 0, 0, 2);
    const hot = Math.log(Math.exp(0.5) + 2 * Math.exp(1.5) + Math.exp(1));
    expect(logprob).toBeCloseTo(0.5 - hot, 6);
    expect(top).toEqual([]);
  });
});

describe('tokenProbability', () => {
  it("gives a token's UTF-8 bytes, and null for part of a character", () => {
    expect(tokenProbability(' é', -1)).toEqual({ token: ' é', logprob: -1, bytes: [32, 195, 169] });
    expect(tokenProbability('\uFFFD', -2)).toEqual({ token: '\uFFFD', logprob: -2, bytes: null });
  });
});

describe('LogprobAligner', () => {
  const token = (text: string): TokenLogprob => ({
    token: text,
    logprob: -1,
    bytes: null,
    topLogprobs: [],
  });
  const names = (tokens: TokenLogprob[]) => tokens.map((each) => each.token);

  it('gives each chunk the tokens whose text it carries', () => {
    const aligner = new LogprobAligner();
    aligner.token(token('Hel'), 'Hel');
    expect(names(aligner.sent('Hel'))).toEqual(['Hel']);
    aligner.token(token('lo'), 'lo');
    // The stop matcher held 'lo' back; it goes out with the next text.
    expect(names(aligner.sent(''))).toEqual([]);
    aligner.token(token(' you'), ' you');
    expect(names(aligner.sent('lo you'))).toEqual(['lo', ' you']);
  });

  it('puts a token that starts a character with the one that completes it', () => {
    const aligner = new LogprobAligner();
    aligner.token(token('\uFFFD'), '');
    aligner.token(token('é'), 'é');
    expect(names(aligner.sent('é'))).toEqual(['\uFFFD', 'é']);
  });

  it('gives a token whose end the stop matcher holds back to the chunk with its start', () => {
    const aligner = new LogprobAligner();
    aligner.token(token(' a'), ' a');
    aligner.token(token(' tiny'), ' tiny');
    // Stop sequence 'ny loc': 'ny' is held back.
    expect(names(aligner.sent(' a ti'))).toEqual([' a', ' tiny']);
    aligner.token(token(' local'), ' local');
    expect(names(aligner.last('', true))).toEqual([]);
  });

  it('ends with every token left, or after a cut those whose text was partly sent', () => {
    const whole = new LogprobAligner();
    whole.token(token('a'), 'a');
    whole.token(token('\uFFFD'), '');
    whole.released('\uFFFD');
    expect(names(whole.last('a\uFFFD', false))).toEqual(['a', '\uFFFD']);
    const cut = new LogprobAligner();
    cut.token(token('one'), 'one');
    cut.token(token(' tw'), ' tw');
    cut.token(token('oST'), 'oST');
    cut.token(token('OP'), 'OP');
    // Stop sequence 'STOP': the answer is 'one two'.
    expect(names(cut.last('one two', true))).toEqual(['one', ' tw', 'oST']);
  });
});

describe('the tiny ONNX model with logprobs', () => {
  let local: LocalProvider;
  beforeAll(() => {
    local = createLocalProvider({ modelsDir });
  });
  afterAll(() => local.close());

  const ask = async (extra: object) => {
    const chunks: Chunk[] = [];
    const request = {
      model: 'tiny',
      messages: [{ role: 'user' as const, content: 'hi there' }],
      logprobs: { topLogprobs: 3 },
      ...extra,
    };
    for await (const chunk of local.stream(request, new AbortController().signal))
      chunks.push(chunk);
    const done = chunks.at(-1) as Extract<Chunk, { type: 'done' }>;
    const texts = chunks.filter((chunk) => chunk.type === 'text');
    return { done, texts };
  };

  it('returns each token greedy decoding chose, the most likely of its alternatives', async () => {
    const { done, texts } = await ask({});
    const tokens = done.logprobs ?? [];
    expect(tokens.map((each) => each.token).join('')).toBe(ANSWER);
    expect(texts.flatMap((chunk) => chunk.logprobs ?? [])).toEqual(tokens);
    for (const each of texts)
      expect((each.logprobs ?? []).map((t) => t.token).join('')).toBe(each.text);
    for (const each of tokens) {
      expect(each.logprob).toBeLessThanOrEqual(0);
      expect(each.topLogprobs).toHaveLength(3);
      expect(each.topLogprobs[0]).toEqual({
        token: each.token,
        logprob: each.logprob,
        bytes: each.bytes,
      });
      const values = each.topLogprobs.map((alternative) => alternative.logprob);
      expect(values).toEqual([...values].sort((a, b) => b - a));
    }
  });

  it('returns the tokens of the text sent when a stop sequence cuts the answer', async () => {
    const { done, texts } = await ask({ stop: ['ny loc'] });
    expect(texts.map((chunk) => chunk.text).join('')).toBe('Hello! I am a ti');
    expect((done.logprobs ?? []).map((each) => each.token).join('')).toBe('Hello! I am a tiny');
    expect(texts.flatMap((chunk) => chunk.logprobs ?? [])).toEqual(done.logprobs);
  });
});
