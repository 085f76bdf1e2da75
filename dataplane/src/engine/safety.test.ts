import { describe, expect, it } from 'vitest';
import { createSafety } from './safety.ts';

const policy = { sanitize: false, pii: 'redact', piiOutput: 'redact' } as const;

describe('the input safety check', () => {
  it('redacts the arguments of earlier tool calls and counts them', () => {
    const safety = createSafety(() => policy);
    const { messages, findings } = safety.checkInput([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'send', arguments: '{"to":"jane@example.com"}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: 'sent to jane@example.com' },
    ]);
    expect(messages[0]?.toolCalls?.[0]?.arguments).toBe('{"to":"[REDACTED:email]"}');
    expect(messages[1]?.content).toBe('sent to [REDACTED:email]');
    expect(findings).toEqual({ 'pii:email': 2 });
  });

  it('refuses tool-call arguments with personal data under block', () => {
    const safety = createSafety(() => ({ ...policy, pii: 'block' }));
    const call = { id: 'c1', name: 'pay', arguments: '{"card":"4111 1111 1111 1111"}' };
    expect(() =>
      safety.checkInput([{ role: 'assistant', content: '', toolCalls: [call] }]),
    ).toThrow(/credit_card/);
  });

  it('redacts embeddings input under redact', () => {
    const safety = createSafety(() => policy);
    expect(safety.checkTexts(['key AKIAIOSFODNN7EXAMPLE'])).toEqual(['key [REDACTED:api_key]']);
  });
});
