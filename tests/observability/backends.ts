import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../cluster/harness.ts';
import { eventually } from '../support/eventually.ts';

const bin = join(import.meta.dirname, '../../.tmp/observability');

/** A Jaeger v2 span as its JSON query API returns it. */
export interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string; traceID: string }[];
  tags: { key: string; value: unknown }[];
  logs: { fields: { key: string; value: unknown }[] }[];
}

/**
 * Jaeger v2's configuration for a test: in-memory storage, OTLP/HTTP in and the query API
 * (HTTP and gRPC) on the given loopback ports, and nothing else. Its built-in all-in-one
 * configuration also listens on fixed ports (4317, 4318, 5778, 5779, 6831, 6832, 8888, 9411,
 * 13133, 14250, 14268, 16685, 27777, 27778), so two test runs on one machine collided.
 */
export function jaegerConfig(ports: { otlp: number; query: number; queryGrpc: number }): string {
  return [
    'extensions:',
    '  jaeger_storage: { backends: { memory: { memory: { max_traces: 10000 } } } }',
    '  jaeger_query:',
    '    storage: { traces: memory }',
    `    http: { endpoint: "127.0.0.1:${ports.query}" }`,
    `    grpc: { endpoint: "127.0.0.1:${ports.queryGrpc}" }`,
    'receivers:',
    `  otlp: { protocols: { http: { endpoint: "127.0.0.1:${ports.otlp}" } } }`,
    'exporters:',
    '  jaeger_storage_exporter: { trace_storage: memory }',
    'service:',
    '  extensions: [jaeger_storage, jaeger_query]',
    '  telemetry: { metrics: { level: none }, logs: { level: warn } }',
    '  pipelines:',
    '    traces: { receivers: [otlp], exporters: [jaeger_storage_exporter] }',
    '',
  ].join('\n');
}

/**
 * Our collector's configuration for a test: OTLP/HTTP in on a loopback port; the debug exporter
 * (detailed, to its output) and OTLP/HTTP on to Jaeger; no telemetry endpoint of its own (its
 * default metrics port, 8888, is fixed).
 */
export function collectorConfig(ports: { otlp: number; jaegerOtlp: number }): string {
  return [
    'receivers:',
    `  otlp: { protocols: { http: { endpoint: "127.0.0.1:${ports.otlp}" } } }`,
    'exporters:',
    '  debug: { verbosity: detailed }',
    `  otlphttp: { endpoint: "http://127.0.0.1:${ports.jaegerOtlp}" }`,
    'service:',
    '  telemetry: { metrics: { level: none } }',
    '  pipelines:',
    '    traces: { receivers: [otlp], exporters: [debug, otlphttp] }',
    '',
  ].join('\n');
}

/**
 * Jaeger v2 (in-memory storage) behind our collector, every port a free loopback one, so runs
 * may overlap: the collector takes OTLP/HTTP, prints every span (its debug exporter, detailed)
 * and passes them on to Jaeger over OTLP/HTTP. Built by tests/observability/build.sh (make
 * observability-build).
 */
export class TraceBackends {
  readonly #children: ChildProcess[] = [];
  #dir = '';
  /** What the collector's debug exporter printed: every span it received, attributes included. */
  collectorOutput = '';
  /** The collector's OTLP/HTTP base URL (the gateway.yaml `tracing.endpoint`). */
  collectorUrl = '';
  #queryUrl = '';

  /** Starts both and waits until they answer; on a failure, stops what it started. */
  async start(): Promise<this> {
    try {
      await this.#start();
      return this;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async #start(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'traces-'));
    const [jaegerOtlp, query, queryGrpc, collectorOtlp] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    this.#queryUrl = `http://127.0.0.1:${query}`;
    const jaeger = join(this.#dir, 'jaeger.yaml');
    const collector = join(this.#dir, 'collector.yaml');
    await Promise.all([
      writeFile(jaeger, jaegerConfig({ otlp: jaegerOtlp, query, queryGrpc })),
      writeFile(collector, collectorConfig({ otlp: collectorOtlp, jaegerOtlp })),
    ]);
    this.#spawn(`${bin}/jaeger`, ['--config', jaeger]);
    const otelcol = this.#spawn(`${bin}/otelcol`, ['--config', collector]);
    otelcol.stdout?.on('data', (data: Buffer) => (this.collectorOutput += data.toString()));
    otelcol.stderr?.on('data', (data: Buffer) => (this.collectorOutput += data.toString()));
    this.collectorUrl = `http://127.0.0.1:${collectorOtlp}`;
    await eventually(async () =>
      (await fetch(`${this.#queryUrl}/api/services`)).ok ? true : undefined,
    );
    await eventually(async () =>
      (
        await fetch(`${this.collectorUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).ok
        ? true
        : undefined,
    );
  }

  /** The spans of trace `traceId` once Jaeger holds at least `count` of them. */
  async trace(traceId: string, count: number): Promise<JaegerSpan[]> {
    return eventually(async () => {
      const response = await fetch(`${this.#queryUrl}/api/traces/${traceId}`);
      if (!response.ok) return undefined;
      const body = (await response.json()) as { data: { spans: JaegerSpan[] }[] };
      const spans = body.data[0]?.spans ?? [];
      return spans.length >= count ? spans : undefined;
    });
  }

  /** The raw JSON of trace `traceId` (for searching it for content). */
  async traceJson(traceId: string): Promise<string> {
    return (await fetch(`${this.#queryUrl}/api/traces/${traceId}`)).text();
  }

  #spawn(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.push(child);
    // Drained, so that a chatty child never blocks on a full pipe.
    child.stdout.resume();
    child.stderr.resume();
    return child;
  }

  async stop(): Promise<void> {
    for (const child of this.#children) child.kill('SIGTERM');
    if (this.#dir !== '') await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The value of tag `key` of `span`. */
export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((each) => each.key === key)?.value;
}
