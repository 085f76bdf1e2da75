/**
 * The entry point of model-server pods (DESIGN §2): `node dataplane/src/model-server.ts` serves
 * one InferenceModel, configured by the environment the operator renders (model-server/settings.ts).
 * It listens at once (the startup probe is a TCP check), loads and warms up the model, then
 * reports ready. SIGTERM drains: not ready, no new connections, every in-flight answer and
 * stream finishes (within MODEL_DRAIN_TIMEOUT_S), the model unloads, the process exits 0.
 */
import { buildModelServer } from './model-server/server.ts';
import { modelServerSettings } from './model-server/settings.ts';

const settings = modelServerSettings(process.env);
const server = await buildModelServer({
  settings,
  logger: { level: process.env['LOG_LEVEL'] ?? 'info' },
});

let closing = false;
// `on`, not `once`: node-llama-cpp's signal-exit re-sends a signal that has no listener but its
// own, and a `once` listener is gone by the time it looks, so the process would die mid-drain.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'Draining');
    server.drain();
    const deadline = setTimeout(() => {
      server.app.log.warn({ drainTimeoutS: settings.drainTimeoutS }, 'Drain timed out');
      process.exit(1);
    }, settings.drainTimeoutS * 1000);
    deadline.unref();
    void server.close().then(() => {
      server.app.log.info('Drained');
      process.exit(0);
    });
  });
}

await server.app.listen({ port: settings.port, host: settings.host });
try {
  await server.start();
} catch (error) {
  server.app.log.error({ reason: (error as Error).message }, 'Model load failed');
  process.exit(1);
}
