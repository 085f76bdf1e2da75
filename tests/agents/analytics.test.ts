/**
 * The `analytics` agent end to end (docs/agents.md): the native resumable stream, a route whose
 * first target is a public host its profile may not reach (kept out, never dialled; the next
 * target serves), its context bound, embeddings, and a batch. Its profile lets temperature,
 * max_tokens, response_format and seed through, redacts every PII kind, and may reach only
 * OpenAI-format targets on loopback.
 */
import { randomUUID } from 'node:crypto';
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

/** The SSE events of a native stream's body, by name with their JSON data. */
function events(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.includes('data:'))
    .map((frame) => {
      const lines = frame.split('\n');
      const event =
        lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      const data =
        lines
          .find((line) => line.startsWith('data:'))
          ?.slice(5)
          .trim() ?? '';
      return { event, data: JSON.parse(data) as unknown };
    });
}

describe('an analytics agent', () => {
  it('streams from the target its egress allows; the public one is kept out, never dialled', async () => {
    const answer = await harness.post(
      '/api/v1/inference:stream',
      {
        model: 'analytics',
        messages: [
          { role: 'user', name: 'etl', content: 'Summarise revenue for jane@example.com' },
        ],
        parameters: { temperature: 0, seed: 3, stop: ['END'] },
      },
      { agent: 'analytics', requestId: 'analytics-1' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('x-agent-dropped-fields')).toBe('stop,messages.name');
    const names = events(answer.text).map((each) => each.event);
    expect(names).toContain('data');
    expect(names.at(-1)).toBe('done');
    expect(harness.upstream().map((each) => each.raw)).toEqual([
      '{"model":"gpt-analytics","messages":[{"role":"user","content":"Summarise revenue for [REDACTED:email]"}],"stream":true,"temperature":0,"seed":3,"stream_options":{"include_usage":true}}',
    ]);
    expect(await harness.receipt('analytics-1')).toMatchObject({
      outcome: 'served',
      agent: { type: 'analytics', dropped: ['stop', 'messages.name'], refused: ['public'] },
      attempts: [{ target: 'local-gpt', outcome: 'ok' }],
      served: { target: 'local-gpt', model: 'gpt-analytics' },
      streamed: true,
    });
    expect(
      await harness.metric(
        'inference_agent_egress_refused_total{agent="analytics",provider="openai",reason="host_not_allowed"}',
      ),
    ).toBe(1);
  });

  it('is refused an input above its context bound before any provider', async () => {
    const answer = await harness.post(
      '/api/v1/inference',
      { model: 'analytics', messages: [{ role: 'user', content: 'rows '.repeat(200) }] },
      { agent: 'analytics', requestId: 'analytics-2' },
    );
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      error: {
        code: 'AGENT_LIMIT_EXCEEDED',
        details: { agent: 'analytics', limit: 'maxContextTokens' },
      },
    });
    expect(harness.upstream()).toEqual([]);
    expect(await harness.receipt('analytics-2')).toMatchObject({
      outcome: 'refused',
      error: { code: 'AGENT_LIMIT_EXCEEDED', refused_by: 'agent' },
    });
  });

  it('embeds clean text, and is refused text its profile would redact (embeddings cannot be)', async () => {
    const clean = await harness.post(
      '/v1/embeddings',
      { model: 'analytics-embed', input: ['quarterly revenue'] },
      { agent: 'analytics', requestId: 'analytics-3' },
    );
    expect(clean.status, clean.text).toBe(200);
    expect(harness.upstream().map((each) => each.raw)).toEqual([
      '{"model":"embed-analytics","input":["quarterly revenue"],"encoding_format":"float"}',
    ]);
    harness.reset();
    const personal = await harness.post(
      '/v1/embeddings',
      { model: 'analytics-embed', input: ['revenue of jane@example.com'] },
      { agent: 'analytics', requestId: 'analytics-4' },
    );
    expect(personal.status).toBe(422);
    expect(personal.json).toMatchObject({
      error: { code: 'CONTENT_BLOCKED', details: { kinds: ['email'] } },
    });
    expect(harness.upstream()).toEqual([]);
  });

  it('has its batch run under its profile: each item shaped as its own request would be', async () => {
    const submitted = await harness.post(
      '/api/v1/batches',
      {
        task_id: 'nightly-1',
        model: 'analytics',
        items: [
          {
            custom_id: 'row-1',
            messages: [{ role: 'user', name: 'etl', content: 'Summarise jane@example.com' }],
            parameters: { temperature: 0, stop: ['END'] },
          },
          // A model its profile does not list: that item fails, the batch goes on.
          {
            custom_id: 'row-2',
            model: 'support-chat',
            messages: [{ role: 'user', content: 'hi' }],
          },
        ],
      },
      { agent: 'analytics', requestId: 'analytics-5' },
    );
    expect(submitted.status, submitted.text).toBe(202);
    const { id } = submitted.json as { id: string };
    const token = await harness.token('analytics');
    const read = async (path: string): Promise<unknown> => {
      const response = await fetch(`${harness.base}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() },
      });
      return response.json();
    };
    const deadline = Date.now() + 20_000;
    let status = '';
    while (status !== 'completed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = ((await read(`/api/v1/batches/${id}`)) as { status: string }).status;
    }
    expect(status).toBe('completed');
    const { data } = (await read(`/api/v1/batches/${id}/results`)) as {
      data: { custom_id: string; status: string; error?: { code: string } }[];
    };
    expect(data.map(({ custom_id, status: itemStatus }) => [custom_id, itemStatus])).toEqual([
      ['row-1', 'succeeded'],
      ['row-2', 'failed'],
    ]);
    expect(data[1]?.error?.code).toBe('AGENT_FORBIDDEN');
    // The served item reached the provider minimised and redacted; the refused one never did.
    expect(harness.upstream().map((each) => each.raw)).toEqual([
      '{"model":"gpt-analytics","messages":[{"role":"user","content":"Summarise [REDACTED:email]"}],"stream":false,"temperature":0}',
    ]);
    expect(await harness.receipt(`${id}-0`)).toMatchObject({
      outcome: 'served',
      agent: { type: 'analytics', dropped: ['stop', 'messages.name'] },
    });
  });

  it("is told CONFLICT when its task_id names another caller's batch of the same items", async () => {
    const body = {
      task_id: 'nightly-3',
      model: 'analytics',
      items: [{ messages: [{ role: 'user', content: 'row 1' }] }],
    };
    const first = await harness.post('/api/v1/batches', body, { requestId: 'person-batch-1' });
    expect(first.status, first.text).toBe(202);
    // The same task and items from the analytics agent would run under its profile: not the same batch.
    const again = await harness.post('/api/v1/batches', body, {
      agent: 'analytics',
      requestId: 'analytics-7',
    });
    expect(again.status, again.text).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'CONFLICT' } });
  });

  it('is refused a batch when its token names an agent type without a profile', async () => {
    const answer = await harness.post(
      '/api/v1/batches',
      {
        task_id: 'nightly-2',
        model: 'analytics',
        items: [{ messages: [{ role: 'user', content: 'row 1' }] }],
      },
      { agent: 'billing', requestId: 'analytics-6' },
    );
    expect(answer.status, answer.text).toBe(403);
    expect(answer.json).toMatchObject({
      error: {
        code: 'AGENT_FORBIDDEN',
        details: { reason: 'unknown_agent_type', agent: 'billing' },
      },
    });
  });

  it('leaves a caller that is no agent to the gateway (its fields all sent)', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      { model: 'support-chat', messages: [{ role: 'user', content: 'hi' }], seed: 5, user: 'u-1' },
      { requestId: 'person-1' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('x-agent-type')).toBeNull();
    expect(JSON.parse(harness.upstream()[0]?.raw ?? '{}')).toMatchObject({
      seed: 5,
      // OpenAI's name for the end user.
      safety_identifier: 'u-1',
    });
    const receipt = await harness.receipt('person-1');
    expect(receipt['agent']).toBeUndefined();
  });

  it('counts its requests per surface and outcome', async () => {
    const requests = (surface: string, outcome: string, code = '') =>
      harness.metric(
        `inference_agent_requests_total{agent="analytics",surface="${surface}",outcome="${outcome}",code="${code}"}`,
      );
    expect(await requests('inference-stream', 'served')).toBe(1);
    expect(await requests('inference', 'refused', 'AGENT_LIMIT_EXCEEDED')).toBe(1);
    expect(await requests('embeddings', 'served')).toBe(1);
    expect(await requests('embeddings', 'refused', 'CONTENT_BLOCKED')).toBe(1);
  });
});
