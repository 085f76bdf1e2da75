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
 * Jaeger v2 (in-memory storage; OTLP and the query API on free loopback ports) behind our
 * collector (OTLP/HTTP in on a free port; the debug exporter, detailed, to its stdout, and
 * OTLP/HTTP on to Jaeger). Built by tests/observability/build.sh (make observability-build).
 */
export class TraceBackends {
  readonly #children: ChildProcess[] = [];
  #dir = '';
  /** What the collector's debug exporter printed: every span it received, attributes included. */
  collectorOutput = '';
  /** The collector's OTLP/HTTP base URL (the gateway.yaml `tracing.endpoint`). */
  collectorUrl = '';
  #queryUrl = '';

  async start(): Promise<this> {
    this.#dir = await mkdtemp(join(tmpdir(), 'traces-'));
    const [jaegerOtlp, jaegerGrpc, query, queryGrpc, collectorOtlp] = await Promise.all(
      [0, 1, 2, 3, 4].map(() => freePort()),
    );
    this.#queryUrl = `http://127.0.0.1:${query}`;
    this.#spawn(`${bin}/jaeger`, [
      `--set=receivers.otlp.protocols.http.endpoint=127.0.0.1:${jaegerOtlp}`,
      `--set=receivers.otlp.protocols.grpc.endpoint=127.0.0.1:${jaegerGrpc}`,
      `--set=extensions.jaeger_query.http.endpoint=127.0.0.1:${query}`,
      `--set=extensions.jaeger_query.grpc.endpoint=127.0.0.1:${queryGrpc}`,
    ]);
    const config = join(this.#dir, 'collector.yaml');
    await writeFile(
      config,
      [
        'receivers:',
        '  otlp:',
        '    protocols:',
        `      http: { endpoint: "127.0.0.1:${collectorOtlp}" }`,
        'exporters:',
        '  debug: { verbosity: detailed }',
        `  otlphttp: { endpoint: "http://127.0.0.1:${jaegerOtlp}" }`,
        'service:',
        '  telemetry: { metrics: { level: none } }',
        '  pipelines:',
        '    traces: { receivers: [otlp], exporters: [debug, otlphttp] }',
        '',
      ].join('\n'),
    );
    const collector = this.#spawn(`${bin}/otelcol`, ['--config', config]);
    collector.stdout?.on('data', (data: Buffer) => (this.collectorOutput += data.toString()));
    collector.stderr?.on('data', (data: Buffer) => (this.collectorOutput += data.toString()));
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
    return this;
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
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The value of tag `key` of `span`. */
export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((each) => each.key === key)?.value;
}
