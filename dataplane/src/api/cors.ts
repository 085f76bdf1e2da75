import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * The response headers a browser page may read (docs/frontend.md): the request id, the stream
 * and its resume, the cost, the budget's limits and degradation, the answer cache, the prompt
 * version, the sandbox flag, the agent profile.
 */
const EXPOSED = [
  'x-request-id',
  'x-stream-id',
  'x-next-cursor',
  'x-inference-cost-usd',
  'x-prompt-version',
  'x-sandbox',
  'x-cache',
  'x-budget-degraded',
  'x-agent-type',
  'x-agent-dropped-fields',
  'retry-after',
  'ratelimit-policy',
  'ratelimit',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

/**
 * `CORS_ALLOWED_ORIGINS`: the browser origins (comma-separated, `scheme://host[:port]`) whose
 * pages may call the HTTP API, per environment; none when unset. A bad entry stops the
 * process at start with a message naming the variable.
 */
export function corsOrigins(env: NodeJS.ProcessEnv): ReadonlySet<string> {
  const origins = (env['CORS_ALLOWED_ORIGINS'] ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed?.origin !== origin || !/^https?:$/.test(parsed.protocol))
      throw new Error(
        `CORS_ALLOWED_ORIGINS entries must be origins like https://app.example.com, not ${JSON.stringify(origin)}.`,
      );
  }
  return new Set(origins);
}

/**
 * CORS for the HTTP API: a page on an allowed origin may call every route with its bearer
 * token (no cookies: credentials are not allowed), and read the headers above; a preflight
 * from any other origin gets no CORS headers, so the browser refuses the call. Registered
 * before authentication, since a preflight carries no token. The sockets check their own
 * `Origin` (`VOICE_ALLOWED_ORIGINS`), the MCP endpoints theirs (mcp.yaml `allowedOrigins`).
 */
export async function installCors(app: FastifyInstance, env: NodeJS.ProcessEnv): Promise<void> {
  const allowed = corsOrigins(env);
  await app.register(cors, {
    origin: (origin, done) => {
      done(null, origin !== undefined && allowed.has(origin));
    },
    methods: ['GET', 'POST', 'DELETE'],
    // What the routes read: the token, the body, the ids, a stream's resume point, the answer
    // cache's session and bypass (the MCP endpoints keep their own Origin check).
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-request-id',
      'last-event-id',
      'x-session-id',
      'cache-control',
    ],
    exposedHeaders: EXPOSED,
    credentials: false,
    maxAge: 600,
    // A bare OPTIONS from an allowed origin is answered as a preflight, not a text/plain 400.
    strictPreflight: false,
  });
}
