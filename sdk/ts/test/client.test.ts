// The client's retry and resume rules where the conformance scenarios cannot reach them: a
// scripted fetch stands in for the network (transport failures, bodies a proxy would send).
import { describe, expect, it } from 'vitest';
import { EnisClient, EnisError } from '../src/index.ts';

type Step = () => Response | Promise<Response>;

/** A fetch that answers each call with the next step, recording each call's headers. */
function scripted(...steps: Step[]) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: input instanceof Request ? input.url : input.toString(),
      headers: init?.headers as Record<string, string>,
    });
    const step = steps.shift();
    if (step === undefined) throw new Error('no more steps');
    return Promise.resolve(step());
  };
  return { fetch: fetch, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
const answer = json(200, { output: { content: 'hi' }, finish_reason: 'stop' });
const request = { model: 'chat', messages: [{ role: 'user' as const, content: 'x' }] };
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

const sse =
  (...frames: string[]) =>
  () =>
    new Response(frames.join(''), {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });

describe('the TypeScript client', () => {
  it('retries a transport failure with the same x-request-id, then answers', async () => {
    const { fetch, calls } = scripted(() => {
      throw new TypeError('fetch failed');
    }, answer);
    const client = new EnisClient({ baseUrl: 'http://gw/', token: 't', fetch, retry: fast });
    expect((await client.infer(request)).output.content).toBe('hi');
    expect(calls.map((call) => call.url)).toEqual([
      'http://gw/api/v1/inference',
      'http://gw/api/v1/inference',
    ]);
    expect(calls[1]?.headers['x-request-id']).toBe(calls[0]?.headers['x-request-id']);
  });

  it('reads a body without the error envelope as a retryable UPSTREAM_UNAVAILABLE when it is a 5xx', async () => {
    const html = () => new Response('<html>bad gateway</html>', { status: 502 });
    const { fetch, calls } = scripted(html, html);
    const client = new EnisClient({
      baseUrl: 'http://gw',
      token: 't',
      fetch,
      retry: { ...fast, maxRetries: 1 },
    });
    const error = await client.infer(request).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EnisError);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 502, retryable: true });
    expect(calls).toHaveLength(2);
  });

  it('waits out a Retry-After given as an HTTP date', async () => {
    const at = new Date(Date.now() + 1500).toUTCString();
    const limited = json(
      429,
      { error: { code: 'RATE_LIMITED', message: 'slow down', retryable: true } },
      { 'retry-after': at },
    );
    const { fetch } = scripted(limited, answer);
    const client = new EnisClient({ baseUrl: 'http://gw', token: 't', fetch });
    const started = Date.now();
    await client.infer(request);
    // An HTTP date has whole seconds: the wait is what is left of it, up to 1.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('stops waiting for a Retry-After when the call is aborted', async () => {
    const limited = json(
      503,
      { error: { code: 'OVERLOADED', message: 'busy', retryable: true } },
      { 'retry-after': '30' },
    );
    const { fetch } = scripted(limited);
    const client = new EnisClient({ baseUrl: 'http://gw', token: 't', fetch });
    const abort = new AbortController();
    setTimeout(() => {
      abort.abort();
    }, 50);
    const started = Date.now();
    await expect(client.infer(request, { signal: abort.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up a stream after maxResumes reconnections that bring nothing new', async () => {
    const cut = sse(
      'event: resume\ndata: {"resume_token":"p.m","offset":0}\n\n',
      'id: 1\nevent: data\ndata: {"text":"a"}\n\n',
    );
    const again = sse('event: resume\ndata: {"resume_token":"p.m","offset":1}\n\n');
    const { fetch, calls } = scripted(cut, again, again);
    const client = new EnisClient({
      baseUrl: 'http://gw',
      token: 't',
      fetch,
      retry: { ...fast, maxResumes: 2 },
    });
    const texts: string[] = [];
    const reading = (async () => {
      for await (const event of client.stream(request))
        if (event.type === 'text') texts.push(event.text);
    })();
    await expect(reading).rejects.toThrow('ended after event 1 and could not be resumed');
    expect(texts).toEqual(['a']);
    expect(calls.slice(1).map((call) => call.headers['last-event-id'])).toEqual(['1', '1']);
  });

  it('raises a mid-stream error event as a typed error and does not resume', async () => {
    const failing = sse(
      'event: resume\ndata: {"resume_token":"p.m","offset":0}\n\n',
      'id: 1\nevent: error\ndata: {"code":"UPSTREAM_UNAVAILABLE","message":"gone","retryable":true,"details":{"partial":true}}\n\n',
    );
    const { fetch, calls } = scripted(failing);
    const client = new EnisClient({ baseUrl: 'http://gw', token: 't', fetch });
    const reading = (async () => {
      for await (const event of client.stream(request)) expect(event.type).toBe('resume');
    })();
    await expect(reading).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { partial: true },
    });
    expect(calls).toHaveLength(1);
  });
});
