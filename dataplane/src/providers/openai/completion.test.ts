import { describe, expect, it } from 'vitest';
import { decodeChatCompletion } from './completion.ts';

const usage = {
  prompt_tokens: 7,
  completion_tokens: 3,
  prompt_tokens_details: { cached_tokens: 2 },
};

describe('a non-streamed OpenAI-format answer', () => {
  it('becomes its text and a done chunk with the finish reason and usage', () => {
    const answer = decodeChatCompletion(
      { choices: [{ message: { content: 'Hola, qué tal 👋' }, finish_reason: 'length' }], usage },
      'openai',
    );
    expect(answer).toEqual({
      text: 'Hola, qué tal 👋',
      done: {
        type: 'done',
        finishReason: 'length',
        usage: { inputTokens: 7, outputTokens: 3, cachedTokens: 2 },
      },
    });
  });

  it('carries tool calls whole, with no text', () => {
    const answer = decodeChatCompletion(
      {
        choices: [
          {
            message: {
              content: null,
              tool_calls: [{ id: 'call_1', function: { name: 'lookup', arguments: '{"q":1}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      'openai',
    );
    expect(answer.text).toBe('');
    expect(answer.done).toMatchObject({
      finishReason: 'tool_calls',
      toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":1}' }],
      usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
    });
  });

  it('turns a refusal into its text with the content_filter finish reason', () => {
    const answer = decodeChatCompletion(
      {
        choices: [{ message: { content: null, refusal: 'I cannot help.' }, finish_reason: 'stop' }],
      },
      'openai',
    );
    expect(answer).toMatchObject({
      text: 'I cannot help.',
      done: { finishReason: 'content_filter' },
    });
  });

  it('is an error, never an empty answer, without a finished choice', () => {
    expect(() => decodeChatCompletion({ choices: [] }, 'vllm')).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', details: { provider: 'vllm' } }),
    );
    expect(() =>
      decodeChatCompletion(
        { choices: [{ message: { content: 'half' }, finish_reason: null }] },
        'vllm',
      ),
    ).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }));
  });
});
