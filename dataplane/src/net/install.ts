/**
 * The egress guard as a process starts it: installed first (before Redis connects or the app
 * is built), with the policy of the served config snapshot once `attach` names the config
 * store; every refusal counted in `inference_egress_denied_total` and logged as
 * `Refused egress` (a JSON line on stderr until `attach` gives it the app's logger).
 */
import { Counter, type Registry } from 'prom-client';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { EgressDeniedError } from './egress-denied.ts';
import { installEgressGuard, type EgressGuard } from './egress-guard.ts';
import { policyFor } from './egress-hosts.ts';
import type { EgressPolicy } from './egress-policy.ts';

/** Distinct host label values before the rest count as `other`. */
export const MAX_HOST_LABELS = 32;

export interface EgressLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface StartedEgressGuard extends EgressGuard {
  /** Reads the policy from `config.current` from now on; counts and logs through these. */
  attach(deps: {
    config: { readonly current: ConfigSnapshot | undefined };
    registry: Registry;
    log: EgressLogger;
  }): void;
}

const stderrLogger: EgressLogger = {
  warn(fields, message) {
    console.error(JSON.stringify({ level: 'warn', ...fields, msg: message }));
  },
};

export function startEgressGuard(env: NodeJS.ProcessEnv = process.env): StartedEgressGuard {
  let current: () => ConfigSnapshot | undefined = () => undefined;
  let log = stderrLogger;
  let counter: Counter<'host' | 'reason'> | undefined;
  /** Refusals before `attach`: counted once the counter exists. */
  const early: { host: string; reason: string }[] = [];
  const hosts = new Set<string>();
  const policies = new WeakMap<ConfigSnapshot, EgressPolicy>();
  const basics = policyFor(undefined, env);

  const policy = (): EgressPolicy => {
    const snapshot = current();
    if (snapshot === undefined) return basics;
    let known = policies.get(snapshot);
    if (known === undefined) {
      known = policyFor(snapshot, env);
      policies.set(snapshot, known);
    }
    return known;
  };

  const onDenied = (denial: EgressDeniedError) => {
    if (hosts.size < MAX_HOST_LABELS) hosts.add(denial.host);
    const host = hosts.has(denial.host) ? denial.host : 'other';
    if (counter === undefined) early.push({ host, reason: denial.reason });
    else counter.inc({ host, reason: denial.reason });
    log.warn(
      {
        host: denial.host,
        ...(denial.port === undefined ? {} : { port: denial.port }),
        reason: denial.reason,
        airGapped: denial.airGapped,
      },
      'Refused egress',
    );
  };

  const guard = installEgressGuard({ policy, onDenied });
  return {
    uninstall: () => {
      guard.uninstall();
    },
    attach(deps) {
      current = () => deps.config.current;
      log = deps.log;
      counter = new Counter({
        name: 'inference_egress_denied_total',
        help: `Connections the egress guard refused, by host (the first ${MAX_HOST_LABELS} distinct, then other) and reason (docs/air-gapped.md).`,
        labelNames: ['host', 'reason'] as const,
        registers: [deps.registry],
      });
      for (const labels of early.splice(0)) counter.inc(labels);
    },
  };
}
