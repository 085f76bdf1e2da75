/**
 * The operator's entry point: settings from the environment and flags (operator/src/settings.ts,
 * docs/operator.md), then the manager. SIGTERM and SIGINT shut down gracefully: in-flight
 * reconciles finish, the Lease is released, then the process exits. SIGHUP resyncs: every
 * resource is reconciled again now, as the periodic resync does.
 */
import { startOperator } from './operator.ts';
import { createLogger } from './runtime/log.ts';
import { loadSettings, SettingsError } from './settings.ts';

let settings;
try {
  settings = loadSettings();
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  process.stderr.write(`inference-operator: ${err.message}\n`);
  process.exit(2);
}
const logger = createLogger(settings.logLevel, undefined, {
  identity: settings.leaderElection.identity,
});
const operator = await startOperator({ settings, logger, processMetrics: true });
logger.info('Started', {
  healthPort: operator.healthPort,
  metricsPort: operator.metricsPort,
  namespaces: settings.watchNamespaces.length === 0 ? 'all' : settings.watchNamespaces,
});

process.on('SIGHUP', () => {
  operator.resync();
  logger.info('Received SIGHUP; enqueued every resource');
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('Received a signal; shutting down', { signal });
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('Failed to shut down cleanly', { error: err });
        process.exit(1);
      },
    );
  });
}
