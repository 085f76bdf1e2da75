import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.ts';
import { describeDevModels, prepareDevModels } from './dev-models.ts';
import { prepareDevOverlay } from './dev.ts';
import { startEgressGuard } from './net/install.ts';
import { hardware } from './providers/local/local.ts';

const env = process.env;
const port = Number(env['PORT'] ?? 8080);
const host = env['HOST'] ?? '127.0.0.1';
const repo = fileURLToPath(new URL('../../', import.meta.url));

// CONFIG_DIR (colon-separated, later overriding earlier) is the cluster's mounted contract;
// without it, the embedded defaults plus a local development overlay serve.
// The overlay serves the real local models (fetched on first run, dev-models.ts) and, with
// OPENAI_API_KEY, ANTHROPIC_API_KEY or GROQ_API_KEY set, adds their routes.
const models = env['CONFIG_DIR'] === undefined ? await prepareDevModels(env) : undefined;
const dev =
  models === undefined
    ? undefined
    : await prepareDevOverlay(env['DEV_DIR'] ?? `${repo}.dev`, {
        embeddedDir: `${repo}config`,
        models,
      });
const configDirs =
  dev === undefined ? (env['CONFIG_DIR'] ?? '').split(':') : [`${repo}config`, dev.configDir];
// From here on every outbound connection passes the egress guard (docs/air-gapped.md); the
// development models above are fetched before it.
const egress = startEgressGuard(env);
const redis =
  env['REDIS_URL'] === undefined ? undefined : new Redis(env['REDIS_URL'], { lazyConnect: false });
// ioredis reconnects by itself; each failure is logged once through the app's logger.
let redisFailed = (error: Error) => {
  console.error(`Redis connection failed: ${error.message}`);
};
redis?.on('error', (error: Error) => {
  redisFailed(error);
});

const app = await buildApp({
  configDirs,
  ...(redis === undefined ? {} : { redis }),
  logger: { level: env['LOG_LEVEL'] ?? 'info', redact: ['req.headers.authorization'] },
});

egress.attach({
  config: app.services.config,
  registry: app.services.metrics.registry,
  log: app.log,
});

redisFailed = (error) => {
  app.log.warn({ reason: error.message }, 'Redis connection failed');
};

let closing = false;
// `on`, not `once`: node-llama-cpp's signal-exit re-sends a signal that has no listener left
// but its own, which would end the process in the middle of the drain.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void app.close().then(async () => {
      await redis?.quit();
      process.exit(0);
    });
  });
}

await app.listen({ port, host });

if (dev !== undefined && models !== undefined) {
  // The port listened on: with PORT=0 the one the system chose, not 0.
  const url = `http://${host}:${(app.server.address() as AddressInfo).port}`;
  const local = hardware();
  const added =
    dev.added.length === 0
      ? 'none (set OPENAI_API_KEY, ANTHROPIC_API_KEY or GROQ_API_KEY)'
      : dev.added.join(', ');
  console.log(`
Dataplane on ${url} with the embedded config (${configDirs.join(', ')}).
${describeDevModels(models, `${local.executionProvider} (${local.cuda.reason})`).join('\n')}
Provider routes added: ${added}.${dev.notes.map((note) => `\n  ${note}`).join('')}
Development token (tenant "dev", 7 days):

  export TOKEN=${dev.token}

Sandbox token (tenant "dev-sandbox": every model answered by the mock, docs/sandbox.md):

  export SANDBOX_TOKEN=${dev.sandboxToken}

Try:
  curl -s ${url}/readyz
  curl -s ${url}/api/v1/inference -H "authorization: Bearer $TOKEN" -H 'x-request-id: try-1' \\
    -H 'content-type: application/json' -d '{"messages":[{"role":"user","content":"Hello there"}]}'
  curl -sN ${url}/api/v1/inference:stream -H "authorization: Bearer $TOKEN" -H 'x-request-id: try-2' \\
    -H 'content-type: application/json' -d '{"model":"chat","messages":[{"role":"user","content":"Stream me"}]}'
  curl -sN ${url}/v1/chat/completions -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"model":"chat","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},{"role":"user","content":"What is the capital of France?"}]}'
  curl -s ${url}/v1/embeddings -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"model":"embed","input":["What is the capital of France?","Which city is the capital of France?"]}'
`);
}
