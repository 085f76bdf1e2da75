/**
 * The `voice` agent end to end (docs/agents.md), on a gateway in air-gapped mode: its route's
 * hosted target is kept out (not in the cluster) and the in-cluster one answers; its output
 * bound is sent when a turn sets none and refuses a larger one; card numbers and IBANs are
 * blocked. The agent type comes from the verified token only: an unknown type, an invalid
 * claim, and a header naming a type are all covered here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from './harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ egress: { airGapped: true } });
});
afterAll(async () => {
  await harness.stop();
});
beforeEach(() => {
  harness.reset();
});

describe('a voice agent on an air-gapped gateway', () => {
  it('is answered by the in-cluster target; the hosted one is kept out, no provider dialled', async () => {
    const turns = ['What is my balance?', 'And last month?'];
    for (const [index, content] of turns.entries()) {
      const answer = await harness.post(
        '/api/v1/inference',
        { model: 'voice', messages: [{ role: 'user', content }] },
        { agent: 'voice', requestId: `voice-${index}` },
      );
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toMatchObject({ output: { content: `Echo: ${content}` } });
    }
    expect(harness.upstream()).toEqual([]);
    expect(await harness.receipt('voice-0')).toMatchObject({
      outcome: 'served',
      agent: { type: 'voice', dropped: [], refused: ['hosted'] },
      attempts: [{ target: 'in-cluster', outcome: 'ok' }],
      served: { target: 'in-cluster', provider: 'mock' },
    });
    expect(
      await harness.metric(
        'inference_agent_egress_refused_total{agent="voice",provider="openai",reason="not_in_cluster"}',
      ),
    ).toBe(2);
  });

  it('is refused a max_tokens above its profile', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      {
        model: 'voice',
        messages: [{ role: 'user', content: 'Read me the terms' }],
        parameters: { max_tokens: 500 },
      },
      { agent: 'voice', requestId: 'voice-long' },
    );
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      error: { code: 'AGENT_LIMIT_EXCEEDED', details: { limit: 'maxOutputTokens' } },
    });
  });

  it('is refused an IBAN by its PII policy, counted in its receipt', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      { model: 'voice', messages: [{ role: 'user', content: 'Pay to ES9121000418450200051332' }] },
      { agent: 'voice', requestId: 'voice-iban' },
    );
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      error: { code: 'CONTENT_BLOCKED', details: { kinds: ['iban'] } },
    });
    expect(await harness.receipt('voice-iban')).toMatchObject({
      outcome: 'refused',
      agent: { type: 'voice' },
      findings: { 'pii:iban': 1 },
    });
  });

  it('is refused a route whose every target is outside the cluster, naming them', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      { model: 'voice-hosted', messages: [{ role: 'user', content: 'hi' }] },
      { agent: 'voice', requestId: 'voice-hosted' },
    );
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({
      error: {
        code: 'AGENT_EGRESS_REFUSED',
        details: {
          agent: 'voice',
          route: 'voice-hosted',
          refused: [
            {
              target: 'hosted',
              provider: 'openai',
              host: 'api.openai.com',
              reason: 'not_in_cluster',
            },
          ],
        },
      },
    });
    expect(await harness.receipt('voice-hosted')).toMatchObject({
      outcome: 'refused',
      error: { code: 'AGENT_EGRESS_REFUSED', refused_by: 'agent' },
      agent: { type: 'voice', refused: ['hosted'] },
      attempts: [],
    });
  });

  it('keeps loopback targets (the pod itself counts as in the cluster)', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      { model: 'support-chat', messages: [{ role: 'user', content: 'hi' }] },
      { agent: 'support', requestId: 'support-gapped' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(harness.upstream()).toHaveLength(1);
  });
});

describe('the agent type', () => {
  it('of a token naming a type without a profile is refused', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      { model: 'voice', messages: [{ role: 'user', content: 'hi' }] },
      { agent: 'robot', requestId: 'robot-1' },
    );
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({
      error: { code: 'AGENT_FORBIDDEN', details: { reason: 'unknown_agent_type', agent: 'robot' } },
    });
  });

  it('is never taken from a header: a person naming one is still no agent', async () => {
    const response = await fetch(`${harness.base}/api/v1/inference`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await harness.token()}`,
        'content-type': 'application/json',
        'x-request-id': 'header-1',
        'x-agent-type': 'voice',
      },
      body: JSON.stringify({ model: 'general', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status, await response.text()).toBe(200);
    expect(response.headers.get('x-agent-type')).toBeNull();
  });

  it('in a claim that is not an agent type name fails authentication', async () => {
    const token = await harness.config.token({ tenant: TENANT, extra: { agent_type: 'Voice!' } });
    const response = await fetch(`${harness.base}/api/v1/inference`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'bad-claim',
      },
      body: JSON.stringify({ model: 'voice', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: 'UNAUTHENTICATED', details: { reason: 'invalid_claim' } },
    });
  });
});
