/**
 * Traces against the real backends: requests through the dataplane reach our OpenTelemetry
 * Collector over OTLP/HTTP and Jaeger v2 behind it, as the span trees docs/observability.md
 * describes, with the GenAI attributes, the client's trace as parent, the trace on the way
 * upstream, and no content anywhere: not in Jaeger, not in what the collector received, not
 * in the logs at any level.
 */
import { context, propagation, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { TraceBackends, tag, type JaegerSpan } from './backends.ts';

const SECRET = 'zebra-quartz-7731';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const PROMPT_TRACE = '5c0ffee5c0ffee5c0ffee5c0ffee5c0f';

let backends: TraceBackends;
let upstream: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let base: string;
let token: string;
let logs = '';

beforeAll(async () => {
  [backends, upstream] = await Promise.all([new TraceBackends().start(), createOpenAIFake()]);
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 60_000 },
      safety: { sanitize: false, pii: 'redact', piiOutput: 'off' },
      tracing: { endpoint: backends.collectorUrl, ratio: 1, denylist: ['customer.*'] },
    },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'gpt',
          targets: [
            { name: 'broken', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' },
            {
              name: 'gpt',
              provider: 'openai',
              model: 'gpt-fake',
              baseURL: `${upstream.url}/v1`,
              credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
            },
          ],
          retry: { maxAttempts: 1 },
        },
        {
          alias: 'down',
          targets: [{ name: 'broken', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' }],
          retry: { maxAttempts: 1 },
        },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-test');
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    logger: { level: 'trace', stream },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token();
}, 60_000);

afterAll(async () => {
  await app.close();
  await Promise.all([backends.stop(), upstream.stop(), config.cleanup()]);
});

async function chat(model: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: `say ${SECRET}` }] }),
  });
}

const byName = (spans: JaegerSpan[], name: string) => spans.filter((s) => s.operationName === name);
const parentOf = (span: JaegerSpan) =>
  span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

describe('a request through the dataplane', () => {
  let spans: JaegerSpan[];

  beforeAll(async () => {
    const response = await chat('gpt', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect(response.status).toBe(200);
    await response.text();
    await app.services.tracing?.forceFlush();
    spans = await backends.trace(CLIENT_TRACE, 8);
  });

  it('is one span tree under the client span: server, auth, prepare, stages, attempts', () => {
    const [server] = byName(spans, 'POST /v1/chat/completions');
    expect(server).toBeDefined();
    expect(parentOf(server!)).toBe(CLIENT_SPAN);
    for (const name of [
      'gateway.auth',
      'gateway.prepare',
      'gateway.budget.reserve',
      'gateway.audit.seal',
    ])
      expect(byName(spans, name).map(parentOf), name).toEqual([server!.spanID]);
    expect(byName(spans, 'chat fail?code=UPSTREAM_UNAVAILABLE').map(parentOf)).toEqual([
      server!.spanID,
    ]);
    expect(byName(spans, 'chat gpt-fake').map(parentOf)).toEqual([server!.spanID]);
    expect(tag(server!, 'tenant')).toBe('acme');
    expect(tag(server!, 'gateway.route')).toBe('gpt');
    // Input safety under prepare; no prompt named, so no prompt span.
    const [prepare] = byName(spans, 'gateway.prepare');
    const [safety, ...more] = byName(spans, 'gateway.safety');
    expect(more).toEqual([]);
    expect(parentOf(safety!)).toBe(prepare!.spanID);
    expect(tag(safety!, 'safety.input')).toBe('messages');
    expect(byName(spans, 'gateway.prompt')).toEqual([]);
  });

  it('has one span per attempt with the GenAI conventions, the failed one an error', () => {
    const [failed] = byName(spans, 'chat fail?code=UPSTREAM_UNAVAILABLE');
    expect(tag(failed!, 'gateway.attempt')).toBe(0);
    expect(tag(failed!, 'error.type')).toBe('UPSTREAM_UNAVAILABLE');
    expect(tag(failed!, 'otel.status_code')).toBe('ERROR');
    const [served] = byName(spans, 'chat gpt-fake');
    expect(tag(served!, 'span.kind')).toBe('client');
    expect(tag(served!, 'gen_ai.operation.name')).toBe('chat');
    expect(tag(served!, 'gen_ai.provider.name')).toBe('openai');
    expect(tag(served!, 'gen_ai.request.model')).toBe('gpt-fake');
    expect(tag(served!, 'gen_ai.response.model')).toBe('gpt-fake');
    expect(tag(served!, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
    expect(tag(served!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    expect(String(tag(served!, 'gen_ai.response.finish_reasons'))).toContain('stop');
    expect(tag(served!, 'ttft_ms')).toBeGreaterThanOrEqual(0);
    expect(tag(served!, 'gateway.attempt')).toBe(1);
  });

  it('carries the trace upstream in traceparent', () => {
    const [sent] = upstream.requests;
    expect(sent?.headers.traceparent).toMatch(
      new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-0[01]$`),
    );
  });

  it('leaves no content in Jaeger or at the collector', async () => {
    expect(await backends.traceJson(CLIENT_TRACE)).not.toContain(SECRET);
    expect(backends.collectorOutput).toContain(CLIENT_TRACE);
    expect(backends.collectorOutput).not.toContain(SECRET);
  });
});

describe('a request that names a prompt', () => {
  it('has prompt and safety spans under prepare: ids, versions and counts, no content', async () => {
    const email = 'kim.ortega@example.com';
    const response = await fetch(`${base}/api/v1/inference`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'traced-prompt-1',
        traceparent: `00-${PROMPT_TRACE}-${CLIENT_SPAN}-01`,
      },
      body: JSON.stringify({
        model: 'chat',
        prompt: { id: 'summarize', variables: { text: `${SECRET}, write to ${email}` } },
      }),
    });
    expect(response.status).toBe(200);
    await response.text();
    await app.services.tracing?.forceFlush();
    const spans = await backends.trace(PROMPT_TRACE, 7);
    const [prepare] = byName(spans, 'gateway.prepare');
    const [prompt, ...prompts] = byName(spans, 'gateway.prompt');
    expect(prompts).toEqual([]);
    expect(parentOf(prompt!)).toBe(prepare!.spanID);
    expect(tag(prompt!, 'prompt_id')).toBe('summarize');
    expect(tag(prompt!, 'prompt.version')).toBe('1.0.0');
    expect(tag(prompt!, 'content_sha')).toMatch(/^sha256:[0-9a-f]{64}$/);
    const safety = byName(spans, 'gateway.safety');
    expect(safety.map(parentOf)).toEqual([prepare!.spanID, prepare!.spanID]);
    const variables = safety.find((span) => tag(span, 'safety.input') === 'variables');
    expect(tag(variables!, 'safety.findings.pii:email')).toBe(1);
    expect(tag(prepare!, 'safety.findings.pii:email')).toBe(1);
    expect(tag(prepare!, 'content_sha')).toBe(tag(prompt!, 'content_sha'));
    const json = await backends.traceJson(PROMPT_TRACE);
    for (const content of [SECRET, email, 'faithful summaries']) {
      expect(json).not.toContain(content);
      expect(backends.collectorOutput).not.toContain(content);
    }
  });
});

describe('a failed request', () => {
  it('names its trace in the error body, and the trace is kept with its error', async () => {
    const response = await chat('down');
    const body = (await response.json()) as { error: { trace_id?: string; request_id?: string } };
    expect(response.status).toBe(502);
    expect(body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
    await app.services.tracing?.forceFlush();
    const spans = await backends.trace(body.error.trace_id!, 3);
    const [server] = byName(spans, 'POST /v1/chat/completions');
    expect(tag(server!, 'otel.status_code')).toBe('ERROR');
    expect(tag(server!, 'error.type')).toBe('UPSTREAM_UNAVAILABLE');
  });
});

describe('content recorded through every API', () => {
  it('reaches the collector redacted', async () => {
    const tracer = app.services.tracing!.tracer;
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ note: { value: SECRET } }),
    );
    const traceId = context.with(withBaggage, () =>
      tracer.startActiveSpan(`gateway.leak ${SECRET}`, (root) => {
        tracer.startActiveSpan(`${SECRET} as a name`, (span) => {
          span.setAttributes({
            content: SECRET,
            'gen_ai.prompt': SECRET,
            'gen_ai.completion.0.content': SECRET,
            'gen_ai.input.messages': SECRET,
            'gen_ai.output.messages': SECRET,
            'customer.note': SECRET,
          });
          span.addEvent('gen_ai.prompt', { text: SECRET });
          span.addEvent('note', { 'content.text': SECRET });
          span.recordException(new Error(`failed on ${SECRET}`));
          span.setStatus({ code: SpanStatusCode.ERROR, message: SECRET });
          span.end();
        });
        root.end();
        return root.spanContext().traceId;
      }),
    );
    await app.services.tracing?.forceFlush();
    const spans = await backends.trace(traceId, 2);
    expect(JSON.stringify(spans)).not.toContain(SECRET);
    expect(await backends.traceJson(traceId)).not.toContain(SECRET);
    expect(backends.collectorOutput).toContain(traceId);
    expect(backends.collectorOutput).not.toContain(SECRET);
    // Both spans' names carried the secret, so both are named 'redacted': the child is the one
    // with the attributes (Jaeger lists the two in either order).
    const leaked = spans.find(
      (span) => span.operationName === 'redacted' && tag(span, 'customer.note') !== undefined,
    );
    expect(tag(leaked!, 'gen_ai.prompt')).toBe('redacted');
    expect(tag(leaked!, 'customer.note')).toBe('redacted');
  });
});

describe('the logs', () => {
  it('carry trace and request ids, and never the prompt or the completion, at any level', async () => {
    const response = await chat('chat');
    const requestId = response.headers.get('x-request-id');
    const text = await response.text();
    expect(text).toContain(SECRET);
    const lines = logs
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['reqId'] === requestId);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // Fastify writes `incoming request` before any hook runs, so before the trace exists.
    for (const line of lines.filter((each) => each['msg'] !== 'incoming request'))
      expect(line['trace_id'], JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
    expect(logs).not.toContain(SECRET);
  });
});
