// The token callback of EnisClient: asked once, asked again when the gateway says the token
// expired, the call sent once more with the new one (a scripted fetch stands in for the gateway).
import { describe, expect, it } from 'vitest';
import { EnisClient, EnisError } from '../src/index.ts';

const request = { model: 'chat', messages: [{ role: 'user' as const, content: 'x' }] };
const unauthenticated = () =>
  new Response(
    JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'expired', retryable: false } }),
    { status: 401, headers: { 'content-type': 'application/json' } },
  );
const answer = () =>
  new Response(JSON.stringify({ output: { content: 'hi' }, finish_reason: 'stop' }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });

/** A gateway that accepts only `valid`, recording each call's token and request id. */
function gateway(valid: string) {
  const calls: { token: string; requestId: string }[] = [];
  const fetch = (_input: string | URL | Request, init?: RequestInit) => {
    const headers = init?.headers as Record<string, string>;
    const token = headers['authorization']?.replace('Bearer ', '') ?? '';
    calls.push({ token, requestId: headers['x-request-id'] ?? '' });
    return Promise.resolve(token === valid ? answer() : unauthenticated());
  };
  return { fetch, calls };
}

describe('the bearer token', () => {
  it('from a callback is asked again when it expired, and the call is sent once more with the new one', async () => {
    const { fetch, calls } = gateway('fresh');
    const asked: string[] = [];
    const client = new EnisClient({
      baseUrl: 'http://gateway.test',
      fetch,
      token: (why) => {
        asked.push(why);
        return why === 'initial' ? 'stale' : 'fresh';
      },
    });
    expect((await client.infer(request, { requestId: 'r-1' })).finish_reason).toBe('stop');
    expect(asked).toEqual(['initial', 'expired']);
    expect(calls).toEqual([
      { token: 'stale', requestId: 'r-1' },
      { token: 'fresh', requestId: 'r-1' },
    ]);
    await client.infer(request);
    expect(asked).toEqual(['initial', 'expired']);
  });

  it('from a callback is asked once more only: a token still refused is the typed error', async () => {
    const { fetch, calls } = gateway('never');
    const client = new EnisClient({ baseUrl: 'http://gateway.test', fetch, token: () => 'bad' });
    const error = await client.infer(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnisError);
    expect((error as EnisError).code).toBe('UNAUTHENTICATED');
    expect(calls).toHaveLength(2);
  });

  it('given fixed is never refreshed', async () => {
    const { fetch, calls } = gateway('never');
    const client = new EnisClient({ baseUrl: 'http://gateway.test', fetch, token: 'bad' });
    await expect(client.infer(request)).rejects.toThrow(EnisError);
    expect(calls).toHaveLength(1);
  });
});
