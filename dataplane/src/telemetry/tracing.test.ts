import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { isDenied, REDACTED } from './scrubber.ts';
import { keep } from './tail-sampler.ts';
import { samplerRatio, startTracing, type Tracing } from './tracing.ts';

describe('isDenied', () => {
  it.each([
    ['content', [], true],
    ['content.text', [], true],
    ['content_sha', [], false],
    ['content_sha256', [], true],
    ['content_sha', ['content_sha'], true],
    ['gen_ai.prompt.0.content', [], true],
    ['gen_ai.completion', [], true],
    ['gen_ai.input.messages', [], true],
    ['gen_ai.output.messages', [], true],
    ['gen_ai.request.model', [], false],
    ['customer.note', ['customer.*'], true],
    ['customer', ['customer.*'], false],
    ['user.email', ['user.email'], true],
    ['user.emails', ['user.email'], false],
  ] as const)('%s with denylist %j is %s', (key, denylist, denied) => {
    expect(isDenied(key, denylist)).toBe(denied);
  });
});

describe('samplerRatio', () => {
  it.each([
    [{}, undefined],
    [{ OTEL_TRACES_SAMPLER: 'always_on' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, 0],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, 0.25],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'x' }, 1],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, undefined],
  ])('%j is %s', (env, ratio) => {
    expect(samplerRatio(env)).toBe(ratio);
  });
});

describe('startTracing', () => {
  it.each([
    [{}, undefined],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, undefined],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }, 'http://c:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x' }, 'http://t:1/x'],
  ])('with no contract endpoint and env %j exports to %s', async (env, target) => {
    const tracing = startTracing({ serviceName: 't', settings: () => undefined, env });
    expect(tracing?.target).toBe(target);
    await tracing?.shutdown();
  });

  it('takes the contract endpoint when the environment names none, and the environment over it', async () => {
    const settings = () => ({ endpoint: 'http://contract:4318', ratio: 1, denylist: [] });
    const contract = startTracing({ serviceName: 't', settings, env: {} });
    const env = startTracing({
      serviceName: 't',
      settings,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' },
    });
    expect([contract?.target, env?.target]).toEqual([
      'http://contract:4318/v1/traces',
      'http://env:4318/v1/traces',
    ]);
    await Promise.all([contract?.shutdown(), env?.shutdown()]);
  });
});

describe('the export path', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  const start = (ratio: number) => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({
      serviceName: 'unit',
      settings: () => ({ ratio, denylist: [] }),
      env: {},
      exporter,
    })!;
    return tracing.tracer;
  };
  afterEach(async () => {
    await tracing.shutdown();
  });

  it('keeps a whole trace whose child failed, at ratio 0, once its root ends', async () => {
    const tracer = start(0);
    tracer.startActiveSpan('gateway.request batch', (root) => {
      tracer.startSpan('gateway.prepare').end();
      const failed = tracer.startSpan('chat m');
      failed.setStatus({ code: SpanStatusCode.ERROR });
      failed.end();
      root.end();
    });
    tracer.startActiveSpan('gateway.request batch', (root) => {
      tracer.startSpan('gateway.prepare').end();
      root.end();
    });
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([
      'gateway.prepare',
      'chat m',
      'gateway.request batch',
    ]);
  });

  it('holds nothing back before the root ends', async () => {
    const tracer = start(1);
    const root = tracer.startSpan('gateway.request batch');
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    root.end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('replaces a span name not of our forms', async () => {
    const tracer = start(1);
    tracer.startSpan('what the user typed').end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()[0]?.name).toBe(REDACTED);
  });
});

describe('keep', () => {
  it('decides a ratio by trace id, the same way every time', () => {
    const low = '0'.repeat(24) + '10000000'; // 1/16 of the range
    const high = '0'.repeat(24) + 'f0000000';
    expect([keep([], low, 0.1), keep([], high, 0.1), keep([], high, 1), keep([], low, 0)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});
