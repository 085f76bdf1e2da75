import { describe, expect, it } from 'vitest';
import { minimise } from './minimise.ts';

const messages = [
  { role: 'user' as const, content: 'hi', name: 'jane', images: [{ url: 'https://x.test/a.png' }] },
  { role: 'tool' as const, content: '42', name: 'calc', toolCallId: 'c1' },
];
const full = {
  messages,
  temperature: 0.5,
  topP: 0.9,
  maxTokens: 10,
  seed: 1,
  user: 'u',
  tools: [{ name: 'calc', parameters: {} }],
  toolChoice: 'auto' as const,
  parallelToolCalls: true,
};

describe('minimise', () => {
  it('keeps the listed fields and drops the rest, naming them in field order', () => {
    const { request, dropped } = minimise(full, ['temperature', 'tools', 'tool_choice']);
    expect(dropped).toEqual([
      'top_p',
      'max_tokens',
      'seed',
      'user',
      'parallel_tool_calls',
      'messages.name',
      'messages.images',
    ]);
    expect(request).toEqual({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'tool', content: '42', name: 'calc', toolCallId: 'c1' },
      ],
      temperature: 0.5,
      tools: full.tools,
      toolChoice: 'auto',
    });
  });

  it('drops tool_choice and parallel_tool_calls with the tools they belong to', () => {
    const { dropped } = minimise(full, ['tool_choice', 'parallel_tool_calls']);
    expect(dropped).toEqual(
      expect.arrayContaining(['tools', 'tool_choice', 'parallel_tool_calls']),
    );
  });

  it('names nothing a request did not carry, and leaves a request it may send whole as it was', () => {
    expect(minimise({ messages: [{ role: 'user', content: 'x' }] }, [])).toEqual({
      request: { messages: [{ role: 'user', content: 'x' }] },
      dropped: [],
    });
    const everything = minimise(full, [
      'temperature',
      'top_p',
      'max_tokens',
      'seed',
      'user',
      'tools',
      'tool_choice',
      'parallel_tool_calls',
      'messages.name',
      'messages.images',
    ]);
    expect(everything).toEqual({ request: full, dropped: [] });
  });
});
