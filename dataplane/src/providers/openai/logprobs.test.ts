import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../core/types.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import { decodeChatCompletion } from './completion.ts';
import { decodeChatStream, type WireChunk } from './stream.ts';

const wire = (token: string, logprob: number) => ({
  token,
  logprob,
  bytes: [...Buffer.from(token, 'utf8')],
  top_logprobs: [{ token, logprob, bytes: [...Buffer.from(token, 'utf8')] }],
});
const ours = (token: string, logprob: number) => {
  const probability = { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  return { ...probability, topLogprobs: [probability] };
};

async function decode(chunks: WireChunk[], asked = true): Promise<Chunk[]> {
  async function* source() {
    yield* chunks;
  }
  const decoded: Chunk[] = [];
  for await (const chunk of decodeChatStream(source(), 'openai', { logprobs: asked }))
    decoded.push(chunk);
  return decoded;
}

describe('an OpenAI-format stream with logprobs', () => {
  it('puts each delta’s tokens on its text chunk, and all of them on done', async () => {
    const chunks = await decode([
      {
        choices: [{ delta: { content: '' }, logprobs: { content: [] } }],
      },
      { choices: [{ delta: { content: 'Hi' }, logprobs: { content: [wire('Hi', -0.5)] } }] },
      { choices: [{ delta: { content: ' there' }, logprobs: { content: [wire(' there', -1)] } }] },
      { choices: [{ delta: {}, finish_reason: 'stop', logprobs: null }] },
    ]);
    expect(chunks).toEqual([
      { type: 'text', text: 'Hi', logprobs: [ours('Hi', -0.5)] },
      { type: 'text', text: ' there', logprobs: [ours(' there', -1)] },
      {
        type: 'done',
        finishReason: 'stop',
        usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
        logprobs: [ours('Hi', -0.5), ours(' there', -1)],
      },
    ]);
  });

  it('carries the tokens of a delta without text to the next text, and a refusal’s as text', async () => {
    const chunks = await decode([
      { choices: [{ delta: {}, logprobs: { content: [wire('I', -0.1)] } }] },
      {
        choices: [{ delta: { refusal: "I can't" }, logprobs: { refusal: [wire(" can't", -0.2)] } }],
      },
      { choices: [{ delta: {}, finish_reason: 'stop' }] },
    ]);
    expect(chunks[0]).toEqual({
      type: 'text',
      text: "I can't",
      logprobs: [ours('I', -0.1), ours(" can't", -0.2)],
    });
    expect(chunks[1]).toMatchObject({ type: 'done', finishReason: 'content_filter' });
  });

  it('refuses logprobs by name when the server sends text without them', async () => {
    const failure = await decode([
      { choices: [{ delta: { content: 'Hi' }, logprobs: null }] },
      { choices: [{ delta: {}, finish_reason: 'stop' }] },
    ]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnsupportedParameter);
    expect(failure).toMatchObject({ parameter: 'logprobs', code: 'UPSTREAM_BAD_REQUEST' });
  });

  it('reads none when none were asked for', async () => {
    const chunks = await decode(
      [
        { choices: [{ delta: { content: 'Hi' }, logprobs: null }] },
        { choices: [{ delta: {}, finish_reason: 'stop' }] },
      ],
      false,
    );
    expect(chunks).toEqual([
      { type: 'text', text: 'Hi' },
      {
        type: 'done',
        finishReason: 'stop',
        usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
      },
    ]);
  });
});

describe('a non-streamed OpenAI-format answer with logprobs', () => {
  it('carries its tokens on done', () => {
    const answer = decodeChatCompletion(
      {
        choices: [
          {
            message: { content: 'Hi' },
            finish_reason: 'stop',
            logprobs: { content: [wire('Hi', -0.5)] },
          },
        ],
      },
      'openai',
      { logprobs: true },
    );
    expect(answer.done.logprobs).toEqual([ours('Hi', -0.5)]);
  });

  it('refuses logprobs by name when the server answers without them', () => {
    expect(() =>
      decodeChatCompletion(
        { choices: [{ message: { content: 'Hi' }, finish_reason: 'stop', logprobs: null }] },
        'openai',
        { logprobs: true },
      ),
    ).toThrow(UnsupportedParameter);
  });
});
