import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Exchange, Outcome, Prepared } from './context.ts';
import type { PipelineStage } from './stage.ts';

/** One request's spans, as the stage holds them between hooks. */
interface Held {
  parent: Context;
  /** The root this stage started where no span was active (a batch item). */
  own?: Span;
  attempts: { target: string; span: Span }[];
  /** Attempts started so far: the next one's `gateway.attempt`. */
  started: number;
  /** Whether `gateway.prepare` was recorded (by `prepare`, or retroactively). */
  prepared: boolean;
}

/** The tracing stage, and `prepare` to run the pipeline's prepare in its span. */
export interface TracingStage extends PipelineStage {
  /** The pipeline's `aroundPrepare`: `run` inside `gateway.prepare`, which is its parent. */
  prepare(exchange: Exchange, run: () => Prepared): Prepared;
}

/**
 * The pipeline's spans (docs/observability.md): under the active span (the server span of an
 * HTTP request; a `gateway.request` root of its own where none is active, as for batch items)
 * `gateway.prepare` (prompt and input safety, whose own spans `prepare` makes its children:
 * engine/pipeline/prepare-tracing.ts), and one CLIENT span per routing attempt named
 * `{gen_ai.operation.name} {gen_ai.request.model}` with the GenAI semantic conventions. The
 * attempt that served stays open until settle so that it carries the usage, the finish reason,
 * `ttft_ms`, the cost and what the output filter redacted (`safety.findings.output:pii:<kind>`). Only ids, names, counts and numbers are recorded: never a message, a
 * prompt's text or an answer.
 */
export function tracingStage(tracer: Tracer): TracingStage {
  const held = new WeakMap<Exchange, Held>();
  const begin = (exchange: Exchange): Held => {
    let state = held.get(exchange);
    if (state !== undefined) return state;
    let parent = context.active();
    let own: Span | undefined;
    if (trace.getSpan(parent) === undefined) {
      own = tracer.startSpan(`gateway.request ${exchange.context.surface}`, {
        kind: SpanKind.INTERNAL,
        startTime: exchange.startedAt,
      });
      parent = trace.setSpan(parent, own);
    }
    state = { parent, attempts: [], started: 0, prepared: false };
    if (own !== undefined) state.own = own;
    held.set(exchange, state);
    return state;
  };
  const startPrepare = (exchange: Exchange, state: Held): Span => {
    state.prepared = true;
    return tracer.startSpan(
      'gateway.prepare',
      { startTime: exchange.startedAt, attributes: requestAttributes(exchange) },
      state.parent,
    );
  };
  /** The request's spans; a surface without a prepare (embeddings) gets it retroactively. */
  const open = (exchange: Exchange): Held => {
    const state = begin(exchange);
    if (!state.prepared) {
      const span = startPrepare(exchange, state);
      preparedAttributes(span, exchange.prepared);
      span.end();
    }
    return state;
  };

  return {
    name: 'tracing',
    prepare(exchange, run) {
      const state = begin(exchange);
      const span = startPrepare(exchange, state);
      try {
        const prepared = context.with(trace.setSpan(state.parent, span), run);
        preparedAttributes(span, prepared);
        return prepared;
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    reserve(exchange) {
      open(exchange);
    },
    attempt(exchange, target) {
      const state = open(exchange);
      const index = state.started++;
      const operation = operationOf(exchange);
      const span = tracer.startSpan(
        `${operation} ${target.model}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': operation,
            'gen_ai.provider.name': target.provider,
            'gen_ai.request.model': target.model,
            'gateway.target': target.name,
            'gateway.attempt': index,
            ...(exchange.alias === undefined ? {} : { 'gateway.route': exchange.alias }),
          },
        },
        state.parent,
      );
      state.attempts.push({ target: target.name, span });
    },
    attemptEnd(exchange, target, outcome) {
      const state = held.get(exchange);
      const index = state?.attempts.findIndex((each) => each.target === target.name) ?? -1;
      const attempt = index === -1 ? undefined : state?.attempts[index];
      if (attempt === undefined || outcome === 'ok') return;
      state?.attempts.splice(index, 1);
      if (outcome !== 'cancelled') {
        attempt.span.setAttribute('error.type', outcome);
        attempt.span.setStatus({ code: SpanStatusCode.ERROR });
      }
      attempt.span.end();
    },
    record(exchange, outcome) {
      const state = open(exchange);
      const server = trace.getSpan(state.parent);
      server?.setAttributes(requestAttributes(exchange));
      for (const { target, span } of state.attempts) {
        if (exchange.servedBy?.name === target) served(span, exchange, outcome);
        span.end();
      }
      state.attempts = [];
      if (outcome.kind === 'failed') {
        server?.setAttribute('error.type', outcome.error.code);
        if (outcome.error.status >= 500 || outcome.outputChars > 0)
          server?.setStatus({ code: SpanStatusCode.ERROR });
      }
      state.own?.end();
      held.delete(exchange);
    },
  };
}

/** The prompt (id, version, checksum) and the safety findings' counts: never content. */
function preparedAttributes(span: Span, prepared: Prepared | undefined): void {
  const prompt = prepared?.prompt;
  if (prompt !== undefined) {
    span.setAttributes({
      prompt_id: prompt.id,
      'prompt.version': prompt.version,
      content_sha: prompt.checksum,
    });
  }
  for (const [kind, count] of Object.entries(prepared?.findings ?? {}))
    span.setAttribute(`safety.findings.${kind}`, count);
}

/**
 * `error.type` (the error's code) on a span whose work threw; ERROR status only for what is not
 * the caller's fault (no status, or 5xx), as the tail sampler keeps errors.
 */
export function failed(span: Span, error: unknown): void {
  const { code, status } = error as { code?: unknown; status?: unknown };
  span.setAttribute('error.type', typeof code === 'string' ? code : 'INTERNAL');
  if (typeof status !== 'number' || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
}

/** What the served attempt learnt by the end: usage, finish reason, time to first token, cost. */
function served(span: Span, exchange: Exchange, outcome: Outcome): void {
  span.setAttribute('gen_ai.response.model', exchange.servedBy?.model ?? '');
  if (exchange.firstChunkAt !== undefined)
    span.setAttribute('ttft_ms', Math.round(exchange.firstChunkAt - exchange.startedAt));
  if (exchange.charge !== undefined) span.setAttribute('cost_nano_usd', exchange.charge.cost);
  // What the output filter redacted in this attempt's answer: counts by kind, never the values.
  for (const [kind, count] of Object.entries(exchange.findings ?? {}))
    if (kind.startsWith('output:')) span.setAttribute(`safety.findings.${kind}`, count);
  if (outcome.kind !== 'done') return;
  span.setAttributes({
    'gen_ai.usage.input_tokens': outcome.usage.inputTokens,
    'gen_ai.usage.output_tokens': outcome.usage.outputTokens,
  });
  if (outcome.finishReason !== undefined)
    span.setAttribute('gen_ai.response.finish_reasons', [outcome.finishReason]);
}

function operationOf(exchange: Exchange): string {
  return exchange.context.surface === 'embeddings' ? 'embeddings' : 'chat';
}

function requestAttributes(exchange: Exchange): Record<string, string> {
  return {
    tenant: exchange.context.tenant,
    request_id: exchange.context.requestId,
    'gateway.surface': exchange.context.surface,
    ...(exchange.alias === undefined ? {} : { 'gateway.route': exchange.alias }),
    ...(exchange.prepared?.prompt === undefined ? {} : { prompt_id: exchange.prepared.prompt.id }),
  };
}

/**
 * The other stages' reserve, settle and seal each in a span of their own (`gateway.budget.reserve`,
 * `gateway.audit.seal`...), under the active span; a hook that throws leaves an error span.
 */
export function tracedStages(tracer: Tracer, stages: readonly PipelineStage[]): PipelineStage[] {
  const inSpan = (name: string, run: () => Promise<void> | void): Promise<void> =>
    tracer.startActiveSpan(name, async (span) => {
      try {
        await run();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        span.setAttribute('error.type', typeof code === 'string' ? code : 'INTERNAL');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  return stages.map(
    (stage) =>
      ({
        name: stage.name,
        ...(stage.reserve === undefined
          ? {}
          : {
              reserve: (exchange) =>
                inSpan(`gateway.${stage.name}.reserve`, () => stage.reserve?.(exchange)),
            }),
        ...(stage.settle === undefined
          ? {}
          : {
              settle: (exchange, outcome) =>
                inSpan(`gateway.${stage.name}.settle`, () => stage.settle?.(exchange, outcome)),
            }),
        ...(stage.seal === undefined
          ? {}
          : {
              seal: (exchange, outcome) =>
                inSpan(`gateway.${stage.name}.seal`, () => stage.seal?.(exchange, outcome)),
            }),
        ...(stage.record === undefined
          ? {}
          : {
              record: (exchange, outcome) => {
                stage.record?.(exchange, outcome);
              },
            }),
        ...(stage.attempt === undefined
          ? {}
          : {
              attempt: (exchange, target, index) => {
                stage.attempt?.(exchange, target, index);
              },
            }),
        ...(stage.attemptEnd === undefined
          ? {}
          : {
              attemptEnd: (exchange, target, outcome) => {
                stage.attemptEnd?.(exchange, target, outcome);
              },
            }),
      }) satisfies PipelineStage,
  );
}
