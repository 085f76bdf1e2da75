/**
 * `/mcp/{gateway}` (scope `mcp:invoke`): the MCP Streamable HTTP transport for each gateway
 * that `mcp.yaml` enables; a gateway that is not enabled is a 404 and nothing connects
 * upstream. POST carries the messages, in sessions (`sessions.ts`) kept in Redis so that any
 * replica continues them; DELETE ends a session. A POST whose request asks for progress is
 * answered on an SSE stream (progress, then the result); any other as JSON. GET (the server-initiated stream) is a 405:
 * the gateway sends nothing unasked.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CancelledNotificationSchema,
  isJSONRPCRequest,
  type CancelledNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../../api/auth.ts';
import { errorResponses } from '../../api/schemas.ts';
import type { McpGatewayConfig } from '../../config/mcp.ts';
import { createSafety } from '../../engine/safety.ts';
import type { Services } from '../../engine/services.ts';
import { ApiError } from '../../errors/api-error.ts';
import { buildGatewayServer } from './aggregate.ts';
import { Cancellations } from './cancellations.ts';
import { nativeFallback } from './fallback.ts';
import { requireOrigin } from './origin.ts';
import { challengeOf, registerProtectedResource } from './protected-resource.ts';
import { RedisMcpSessionStore } from './redis-session-store.ts';
import { MemoryMcpSessionStore, type McpSession, type McpSessionStore } from './session-store.ts';
import { resumeSession, startSession, type SessionRequest } from './sessions.ts';
import { McpStatusReporter } from './status-report.ts';
import {
  MemoryToolCallLimiter,
  RedisToolCallLimiter,
  type ToolCallLimiter,
} from './tool-call-limit.ts';
import { endUpstreamSession, type UpstreamLink } from './upstream.ts';

const Params = Type.Object({
  gateway: Type.String({ minLength: 1, maxLength: 253, description: 'The MCPGateway name.' }),
});

const Headers = Type.Object({
  'mcp-session-id': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'The session initialize issued; required on every other request.',
    }),
  ),
  'mcp-protocol-version': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'The revision negotiated at initialize.',
    }),
  ),
});

const JsonRpc = Type.Union([
  Type.Object({ jsonrpc: Type.Literal('2.0') }, { additionalProperties: true }),
  Type.Array(Type.Object({ jsonrpc: Type.Literal('2.0') }, { additionalProperties: true }), {
    minItems: 1,
  }),
]);

const messagesOf = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);

/** A request that carries `_meta.progressToken` wants its progress streamed. */
const asksProgress = (messages: unknown[]) =>
  messages.some((m) => isJSONRPCRequest(m) && m.params?._meta?.progressToken !== undefined);

const cancellationsIn = (messages: unknown[]): CancelledNotification['params'][] =>
  messages.flatMap((m) => {
    const parsed = CancelledNotificationSchema.safeParse(m);
    return parsed.success ? [parsed.data.params] : [];
  });

export const mcpPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const sessions: McpSessionStore =
    services.redis === undefined
      ? new MemoryMcpSessionStore()
      : new RedisMcpSessionStore(
          services.redis,
          () => services.snapshot().gateway.budgets.keyPrefix,
        );

  const cancellations = new Cancellations(
    services.redis,
    services.config.current?.gateway.budgets.keyPrefix ?? '',
  );
  app.addHook('onClose', () => cancellations.close());
  if (services.redis !== undefined) {
    const reporter = new McpStatusReporter(services.redis, () => services.config.current);
    reporter.start();
    app.addHook('onClose', () => reporter.close());
  }
  const safety = createSafety(() => services.snapshot().gateway.safety, {
    guard: services.guard,
  });
  const limiter: ToolCallLimiter =
    services.redis === undefined
      ? new MemoryToolCallLimiter()
      : new RedisToolCallLimiter(
          services.redis,
          () => services.snapshot().gateway.budgets.keyPrefix,
        );

  // RFC 9728 metadata, and the challenge on a refused credential (protected-resource.ts).
  registerProtectedResource(app, () => services.snapshot());
  /** Refusals that are no matter of credentials (Origin, sandbox): they carry no challenge. */
  const originRefused = new WeakSet<FastifyRequest>();
  app.addHook('onSend', async (request, reply, payload) => {
    const gateway = (request.params as { gateway?: unknown } | undefined)?.gateway;
    if (typeof gateway !== 'string' || !request.url.startsWith('/mcp/')) return payload;
    // An Origin refusal is no matter of credentials: no challenge.
    if (originRefused.has(request)) {
      reply.removeHeader('www-authenticate');
      return payload;
    }
    const written = reply.getHeader('www-authenticate');
    const challenge = challengeOf(
      reply.statusCode,
      typeof written === 'string' ? written : undefined,
      request,
      gateway,
    );
    if (challenge !== undefined) void reply.header('www-authenticate', challenge);
    return payload;
  });
  /** The DNS-rebinding guard (origin.ts), before anything else of the request. */
  const checkOrigin = (request: FastifyRequest): void => {
    try {
      requireOrigin(request, services.snapshot().mcp.allowedOrigins);
    } catch (error) {
      originRefused.add(request);
      throw error;
    }
  };

  /**
   * A sandbox tenant (docs/sandbox.md) is refused outright: its requests must never reach a
   * real upstream, and a mock cannot stand in for tools it does not know (their results follow
   * no schema it could invent), so nothing of the gateway serves it.
   */
  const refuseSandbox = (request: FastifyRequest): void => {
    const tenant = request.principal?.tenant;
    if (tenant === undefined || !services.snapshot().gateway.sandbox.tenants.includes(tenant))
      return;
    originRefused.add(request);
    throw new ApiError(
      'FORBIDDEN',
      `Tenant ${tenant} is a sandbox tenant: the MCP gateway serves no sandbox tenant, so that no call reaches a real MCP server.`,
      { details: { reason: 'sandbox_tenant' } },
    );
  };

  const enabledGateway = (name: string): McpGatewayConfig => {
    const gateway = services.snapshot().mcp.gateways.get(name);
    if (gateway === undefined)
      throw new ApiError('NOT_FOUND', `No enabled MCP gateway is named ${name}.`);
    return gateway;
  };

  const links =
    (id: string | undefined, session: McpSession | undefined) =>
    (server: string): UpstreamLink => ({
      session: session?.upstreams[server],
      keep: async (upstream) => {
        if (id !== undefined) await sessions.setUpstream(id, server, upstream);
      },
    });

  app.post(
    '/mcp/:gateway',
    {
      config: { scope: 'mcp:invoke' },
      schema: {
        summary:
          'MCP Streamable HTTP endpoint of an MCPGateway: the JSON-RPC messages of a session.',
        tags: ['mcp'],
        params: Params,
        headers: Headers,
        body: JsonRpc,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      checkOrigin(request);
      refuseSandbox(request);
      const gateway = enabledGateway(request.params.gateway);
      const principal = principalOf(request);
      const at: SessionRequest = {
        gateway: gateway.name,
        principal,
        sessionId: request.headers['mcp-session-id'],
        protocolVersion: request.headers['mcp-protocol-version'],
      };
      const started = await startSession(sessions, at, request.body);
      const { id, session } =
        started === undefined
          ? await resumeSession(sessions, at)
          : { id: started, session: undefined };
      const messages = messagesOf(request.body);
      for (const cancel of cancellationsIn(messages)) {
        if (cancel.requestId !== undefined)
          await cancellations.cancel({
            session: id,
            requestId: cancel.requestId,
            reason: cancel.reason,
          });
      }
      const server = buildGatewayServer({
        gateway,
        principal,
        record: (call) =>
          services.audit.tool({
            ...call,
            tenant: principal.tenant,
            principal: principal.subject,
            requestId: request.id,
          }),
        session: id,
        protocolVersion: session?.protocolVersion,
        links: links(id, session),
        budgets: services.budgets,
        limiter,
        snapshot: () => services.snapshot(),
        safety,
        tracer: services.tracing?.tracer,
        fallback: (call) => nativeFallback(services.pipeline, services.snapshot(), call),
        track: (requestId) => cancellations.track(id, requestId, gateway.timeoutMs),
      });
      // The session lives in the store, so each request gets a transport of its own; the
      // transport's in-memory session handling (sessionIdGenerator) is not used.
      const transport = new StreamableHTTPServerTransport({
        enableJsonResponse: !asksProgress(messages),
      });
      reply.hijack();
      reply.raw.setHeader('x-request-id', request.id);
      reply.raw.setHeader('mcp-session-id', id);
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  );

  app.delete(
    '/mcp/:gateway',
    {
      config: { scope: 'mcp:invoke' },
      schema: {
        summary: 'Ends an MCP session of an MCPGateway, and its sessions with the upstreams.',
        tags: ['mcp'],
        params: Params,
        headers: Headers,
        response: { ...errorResponses, 204: Type.Null({ description: 'The session ended.' }) },
      },
    },
    async (request, reply) => {
      checkOrigin(request);
      refuseSandbox(request);
      const gateway = enabledGateway(request.params.gateway);
      const { id, session } = await resumeSession(sessions, {
        gateway: gateway.name,
        principal: principalOf(request),
        sessionId: request.headers['mcp-session-id'],
        protocolVersion: request.headers['mcp-protocol-version'],
      });
      await sessions.delete(id);
      await Promise.all(
        gateway.upstreams.flatMap((upstream) => {
          const held = session.upstreams[upstream.name];
          return held === undefined ? [] : [endUpstreamSession(upstream, held, gateway.timeoutMs)];
        }),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/mcp/:gateway',
    {
      config: { scope: 'mcp:invoke' },
      schema: {
        summary: 'Not served: the gateway opens no server-initiated stream.',
        tags: ['mcp'],
        params: Params,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      checkOrigin(request);
      refuseSandbox(request);
      enabledGateway(request.params.gateway);
      reply.header('allow', 'POST, DELETE');
      throw new ApiError(
        'METHOD_NOT_ALLOWED',
        'This MCP endpoint opens no server-initiated stream: POST and DELETE only.',
      );
    },
  );
};
