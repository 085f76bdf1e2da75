import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface RequestSpans {
  server: Span;
  auth?: Span;
}

const spans = new WeakMap<FastifyRequest, RequestSpans>();

/** The trace id of `request`'s server span, when tracing is on. */
export function traceIdOf(request: FastifyRequest): string | undefined {
  return spans.get(request)?.server.spanContext().traceId;
}

/**
 * The server span of every request (`{method} {route}`, a child of the client's `traceparent`
 * when it sent one), `gateway.auth` around authentication, and the trace id on the request's
 * log lines. The handler runs with the server span active, so that the pipeline's spans and
 * the `traceparent` of upstream calls descend from it. Install before `installAuth`: the two
 * `onRequest` hooks here surround its hook.
 */
export function installTracing(app: FastifyInstance, tracer: Tracer, afterAuth: () => void): void {
  app.addHook('onRequest', async (request, reply) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const server = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          request_id: request.id,
        },
      },
      parent,
    );
    const held: RequestSpans = { server };
    if (request.routeOptions.config.scope !== undefined)
      held.auth = tracer.startSpan('gateway.auth', {}, trace.setSpan(parent, server));
    spans.set(request, held);
    const traceId = server.spanContext().traceId;
    request.log = request.log.child({ trace_id: traceId });
    reply.log = request.log;
  });
  afterAuth();
  app.addHook('onRequest', async (request) => {
    const held = spans.get(request);
    if (held?.auth === undefined) return;
    if (request.principal !== undefined) held.auth.setAttribute('tenant', request.principal.tenant);
    held.auth.end();
    delete held.auth;
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const held = spans.get(request);
    if (held === undefined) {
      done();
      return;
    }
    context.with(trace.setSpan(context.active(), held.server), done);
  });
  app.addHook('onError', async (request, _reply, error) => {
    const held = spans.get(request);
    if (held === undefined) return;
    const code = (error as { code?: unknown }).code;
    const type = typeof code === 'string' ? code : 'INTERNAL';
    if (held.auth !== undefined) {
      held.auth.setAttribute('error.type', type);
      held.auth.setStatus({ code: SpanStatusCode.ERROR });
    }
    held.server.setAttribute('error.type', type);
  });
  app.addHook('onResponse', async (request, reply) => {
    const held = spans.get(request);
    if (held === undefined) return;
    held.auth?.end();
    held.server.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) held.server.setStatus({ code: SpanStatusCode.ERROR });
    held.server.end();
  });
}
