import { describe, expect, it } from 'vitest';
import { normaliseSubmit, parseJsonl } from './input.ts';

const line = (customId: string, body: object) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body });

describe('OpenAI Batch input lines', () => {
  it('become items with the same mapping as the OpenAI-compatible route', () => {
    const jsonl = [
      line('a', {
        model: 'chat',
        messages: [
          { role: 'developer', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look at ' },
              { type: 'text', text: 'this' },
              {
                type: 'image_url',
                image_url: { url: 'https://example.test/a.png', detail: 'low' },
              },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', content: 'result', tool_call_id: 'c1', name: 'f' },
        ],
        max_completion_tokens: 5,
        max_tokens: 9,
        temperature: 0.5,
        top_p: 0.9,
        stop: 'END',
      }),
      '   ',
      line('b', { model: 'chat', messages: [{ role: 'user', content: 'plain' }], stop: null }),
    ].join('\n');
    expect(parseJsonl(jsonl)).toEqual([
      {
        custom_id: 'a',
        model: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: 'Look at this',
            images: [{ url: 'https://example.test/a.png', detail: 'low' }],
          },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
          { role: 'tool', content: 'result', name: 'f', toolCallId: 'c1' },
        ],
        parameters: { temperature: 0.5, top_p: 0.9, max_tokens: 5, stop: ['END'] },
      },
      { custom_id: 'b', model: 'chat', messages: [{ role: 'user', content: 'plain' }] },
    ]);
  });

  it.each([
    ['{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}', /line 1 \.method/],
    [line('a', { model: 'chat', messages: [] }), /line 1 \.body\.messages/],
    ['[1,2', /line 1 is not valid JSON/],
  ])('refuses %s', (jsonl, message) => {
    expect(() => parseJsonl(jsonl)).toThrow(message);
  });
});

describe('normalising a submit', () => {
  const items = [{ messages: [{ role: 'user' as const, content: 'x' }] }];

  it('fingerprints what will run, whatever the key order', () => {
    const a = normaliseSubmit({ items: [{ messages: [{ role: 'user', content: 'x' }] }] }, 10);
    const b = normaliseSubmit({ items: [{ messages: [{ content: 'x', role: 'user' }] }] }, 10);
    expect(a.hash).toBe(b.hash);
    expect(normaliseSubmit({ items, model: 'chat' }, 10).hash).not.toBe(a.hash);
    expect(a).toMatchObject({ format: 'items', model: undefined, items });
  });

  it('refuses more items than the limit', () => {
    expect(() => normaliseSubmit({ items: [...items, ...items] }, 1)).toThrow(
      /holds 2 items; the limit is 1/,
    );
  });
});
