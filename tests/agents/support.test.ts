/**
 * The `support` agent end to end (docs/agents.md): a multi-turn conversation on the
 * OpenAI-compatible API, whole and streamed, against the OpenAI fake. Its profile lets
 * temperature, max_tokens and stop through, redacts e-mail addresses and phone numbers, blocks
 * card numbers, and may reach only the OpenAI provider on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.stop();
});
beforeEach(() => {
  harness.reset();
});

const turn1 = [
  { role: 'system', content: 'You are the help desk.' },
  { role: 'user', name: 'Jane', content: 'My order is late; mail me at jane@example.com' },
];

describe('a support agent', () => {
  it('sends only the fields its profile lists, with PII redacted: these exact bytes', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      {
        model: 'support-chat',
        messages: turn1,
        temperature: 0.2,
        seed: 7,
        user: 'customer-991',
        max_tokens: 200,
      },
      { agent: 'support', requestId: 'support-1' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('x-agent-type')).toBe('support');
    expect(answer.headers.get('x-agent-dropped-fields')).toBe('seed,user,messages.name');
    const [sent, ...more] = harness.upstream();
    expect(more).toEqual([]);
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.raw).toBe(
      '{"model":"gpt-support","messages":[{"role":"system","content":"You are the help desk."},{"role":"user","content":"My order is late; mail me at [REDACTED:email]"}],"stream":false,"temperature":0.2,"max_completion_tokens":200}',
    );
  });

  it("carries the conversation into the second turn, sending the profile's max_tokens when the turn sets none", async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      {
        model: 'support-chat',
        messages: [
          ...turn1,
          { role: 'assistant', content: 'Sorry about that. Which order?' },
          { role: 'user', content: 'Order 1234, call me on +34 612 345 678' },
        ],
      },
      { agent: 'support', requestId: 'support-2' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(harness.upstream().map((each) => each.raw)).toEqual([
      '{"model":"gpt-support","messages":[{"role":"system","content":"You are the help desk."},{"role":"user","content":"My order is late; mail me at [REDACTED:email]"},{"role":"assistant","content":"Sorry about that. Which order?"},{"role":"user","content":"Order 1234, call me on [REDACTED:phone]"}],"stream":false,"max_completion_tokens":512}',
    ]);
  });

  it('streams a turn, the stream carrying the same minimised request', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      {
        model: 'support-chat',
        stream: true,
        messages: [{ role: 'user', content: 'Is my refund done?' }],
        seed: 1,
      },
      { agent: 'support', requestId: 'support-3' },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-agent-dropped-fields')).toBe('seed');
    expect(answer.text).toContain('{"content":" refund"}');
    expect(answer.text).toContain('data: [DONE]');
    const [sent] = harness.upstream();
    expect(JSON.parse(sent?.raw ?? '{}')).toMatchObject({
      stream: true,
      max_completion_tokens: 512,
    });
    expect(sent?.raw).not.toContain('seed');
  });

  it('is refused a card number by its PII policy before any provider', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      { model: 'support-chat', messages: [{ role: 'user', content: 'card 4111 1111 1111 1111' }] },
      { agent: 'support', requestId: 'support-4' },
    );
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      error: { code: 'CONTENT_BLOCKED', details: { reason: 'pii', kinds: ['credit_card'] } },
    });
    expect(harness.upstream()).toEqual([]);
  });

  it('is refused a model its profile does not list', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      { model: 'general', messages: [{ role: 'user', content: 'hi' }] },
      { agent: 'support', requestId: 'support-5' },
    );
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({
      error: {
        code: 'AGENT_FORBIDDEN',
        details: { reason: 'model_not_allowed', model: 'general' },
      },
    });
    expect(harness.upstream()).toEqual([]);
  });

  it('has receipts that name the agent and the dropped fields, and counts what it found', async () => {
    expect(await harness.receipt('support-1')).toMatchObject({
      outcome: 'served',
      agent: { type: 'support', dropped: ['seed', 'user', 'messages.name'], refused: [] },
      findings: { 'pii:email': 1 },
      served: { target: 'gpt', provider: 'openai', model: 'gpt-support' },
    });
    expect(await harness.receipt('support-4')).toMatchObject({
      outcome: 'refused',
      error: { code: 'CONTENT_BLOCKED', refused_by: 'safety' },
      agent: { type: 'support' },
      findings: { 'pii:credit_card': 1 },
    });
    expect(await harness.receipt('support-5')).toMatchObject({
      outcome: 'refused',
      error: { code: 'AGENT_FORBIDDEN', refused_by: 'agent' },
      agent: { type: 'support' },
    });
  });

  it('has per-profile metrics: requests by outcome, dropped fields by name', async () => {
    const requests = (outcome: string, code = '') =>
      harness.metric(
        `inference_agent_requests_total{agent="support",surface="chat-completions",outcome="${outcome}",code="${code}"}`,
      );
    expect(await requests('served')).toBe(3);
    expect(await requests('refused', 'CONTENT_BLOCKED')).toBe(1);
    expect(await requests('refused', 'AGENT_FORBIDDEN')).toBe(1);
    const dropped = (field: string) =>
      harness.metric(`inference_agent_dropped_fields_total{agent="support",field="${field}"}`);
    expect(await dropped('seed')).toBe(2);
    expect(await dropped('user')).toBe(1);
    expect(await dropped('messages.name')).toBe(2);
  });
});
