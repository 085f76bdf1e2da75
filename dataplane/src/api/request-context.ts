import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext, Surface } from '../stages/context.ts';
import type { Services } from '../engine/services.ts';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';

const contexts = new WeakMap<FastifyRequest, RequestContext>();

/** The pipeline context made for `request`, if one was. */
export function contextOf(request: FastifyRequest): RequestContext | undefined {
  return contexts.get(request);
}

/**
 * The pipeline's context for an HTTP request: its id, the tenant from its token, the request
 * deadline (`limits.requestTimeoutMs`), and a signal that aborts when the client goes away
 * before the response has ended (or, for a producer that outlives its connection, `cancel`).
 */
export function requestContext(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  surface: Surface,
  cancel?: AbortController,
): RequestContext {
  const { requestTimeoutMs } = services.snapshot().gateway.limits;
  const principal = principalOf(request);
  let controller = cancel;
  if (controller === undefined) {
    const onClientGone = new AbortController();
    const response = reply.raw;
    response.once('close', () => {
      if (!response.writableEnded)
        onClientGone.abort(new ApiError('BAD_REQUEST', 'The client went away.'));
    });
    controller = onClientGone;
  }
  const session = request.headers['x-session-id'];
  const cacheControl = request.headers['cache-control'];
  // What names the caller as an agent (docs/agents.md): only verified credentials.
  const agent = {
    ...(principal.agent === undefined ? {} : { claim: principal.agent }),
    ...(principal.client === undefined ? {} : { certificate: principal.client }),
  };
  const context: RequestContext = {
    requestId: request.id,
    ...(typeof session === 'string' && session !== '' ? { session: session.slice(0, 256) } : {}),
    ...(cacheControl === undefined ? {} : { cacheControl }),
    tenant: principal.tenant,
    principal: principal.subject,
    ...(Object.keys(agent).length === 0 ? {} : { agent }),
    surface,
    signal: controller.signal,
    deadlineMs: requestTimeoutMs,
    setHeader: (name, value) => {
      if (!reply.sent) void reply.header(name, value);
    },
  };
  contexts.set(request, context);
  return context;
}
