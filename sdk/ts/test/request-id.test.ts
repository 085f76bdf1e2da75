// X-Request-Id on every call of @enis/client: each method of EnisClient and the voice socket's
// ticket, against a fetch that records what it was sent and answers as the gateway would.
import { describe, expect, it } from 'vitest';
import { EnisClient, VoiceSocket } from '../src/index.ts';

const ok = (body: unknown, type = 'application/json') =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': type },
  });

const batch = { id: 'b-1', status: 'completed' };
const stream = [
  'event: resume\ndata: {"resume_token":"p.m","offset":0}\n\n',
  'id: 1\nevent: data\ndata: {"text":"a"}\n\n',
  'id: 2\nevent: done\ndata: {"finish_reason":"stop","usage":{"input_tokens":1,"output_tokens":1,"cached_tokens":0}}\n\n',
].join('');

/** The gateway's answer to each path, and every call's method, path and x-request-id. */
function gateway() {
  const calls: { call: string; requestId: string | undefined }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const call = `${init?.method} ${url.pathname}`;
    calls.push({ call, requestId: (init?.headers as Record<string, string>)['x-request-id'] });
    if (url.pathname.endsWith(':stream') || url.pathname.endsWith(':resume'))
      return Promise.resolve(ok(stream, 'text/event-stream'));
    if (url.pathname.endsWith('/results'))
      return Promise.resolve(ok({ data: [{ custom_id: 'x' }], next_cursor: null }));
    if (url.pathname.includes('/batches')) return Promise.resolve(ok(batch));
    if (url.pathname === '/api/v1/audit/export')
      return Promise.resolve(ok('{"type":"checkpoint"}\n', 'application/x-ndjson'));
    if (url.pathname === '/api/v1/voice/session')
      return Promise.resolve(ok({ ticket: 't', url: '/api/v1/voice/ws' }));
    return Promise.resolve(ok({ output: { content: 'hi' }, finish_reason: 'stop' }));
  };
  return { fetch, calls };
}

const request = { model: 'chat', messages: [{ role: 'user' as const, content: 'x' }] };

async function drain(events: AsyncIterable<unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('x-request-id', () => {
  it('is sent by every method of the client, a fresh one per call', async () => {
    const { fetch, calls } = gateway();
    const client = new EnisClient({ baseUrl: 'http://gw', token: 't', fetch });
    await client.infer(request);
    await drain(client.stream(request));
    await drain(client.resume('p.m', 1));
    await drain(client.voiceStream({ codec: 'pcm16', audio: 'AAAA' }));
    await client.submitBatch({ task_id: 'n-1', model: 'chat', items: [] });
    await client.getBatch('b-1');
    await client.waitForBatch('b-1');
    await drain(client.batchResults('b-1'));
    await drain(client.exportAudit());
    expect(calls.map(({ call }) => call)).toEqual([
      'POST /api/v1/inference',
      'POST /api/v1/inference:stream',
      'POST /api/v1/inference:resume',
      'POST /api/v1/voice:stream',
      'POST /api/v1/batches',
      'GET /api/v1/batches/b-1',
      'GET /api/v1/batches/b-1',
      'GET /api/v1/batches/b-1/results',
      'GET /api/v1/audit/export',
    ]);
    const ids = calls.map(({ requestId }) => requestId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is the caller's own when it gives one", async () => {
    const { fetch, calls } = gateway();
    const client = new EnisClient({ baseUrl: 'http://gw', token: 't', fetch });
    await client.infer(request, { requestId: 'mine-1' });
    await drain(client.exportAudit({}, { requestId: 'mine-2' }));
    expect(calls.map(({ requestId }) => requestId)).toEqual(['mine-1', 'mine-2']);
  });

  it("is sent by the voice socket's ticket call", async () => {
    const { fetch, calls } = gateway();
    // Port 9 (discard) refuses the socket: only the ticket call is of interest here, so the
    // socket alone, without the long-poll fallback.
    const voice = new VoiceSocket({
      baseUrl: 'http://127.0.0.1:9',
      token: 't',
      transport: 'ws',
      fetch,
      onEvent: () => undefined,
    });
    await expect(voice.open()).rejects.toThrow('closed before it opened');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.call).toBe('POST /api/v1/voice/session');
    expect(calls[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
