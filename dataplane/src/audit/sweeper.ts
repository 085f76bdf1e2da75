import type { KeyObject } from 'node:crypto';
import { checkpoint } from './chain.ts';
import type { Receipt } from './receipt.ts';
import { waitAtMost } from '../core/wait.ts';
import type { AuditStore, Intent } from './store.ts';
import type { AuditWriter } from './writer.ts';

export interface SweeperOptions {
  store: AuditStore;
  writer: AuditWriter;
  signer: () => { kid: string; key: KeyObject } | undefined;
  /** Days a tenant's receipts are kept (its TenantBudget's auditRetentionDays, or 90). */
  retentionDays: (tenant: string) => number;
  /** Most receipts kept per tenant, whatever their age (the memory store's bound). */
  maxEntries?: number;
  now?: () => number;
}

export interface SweepReport {
  interrupted: number;
  checkpoints: number;
  trimmed: number;
}

const DAY_MS = 86_400_000;

/**
 * What each replica does every `audit.sweepIntervalS` (docs/audit.md), safe to run on all of
 * them at once: an intent whose lease ran out (its process died) becomes an `interrupted`
 * receipt, claimed atomically so that one replica writes it; a head that moved since its last
 * checkpoint gets one; receipts older than the tenant's retention are trimmed, after a
 * checkpoint over the last one removed, which then anchors what is left.
 */
export class AuditSweeper {
  readonly #options: SweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: SweeperOptions) {
    this.#options = options;
  }

  /** Sweeps every `intervalMs` (read each time), until `stop`. */
  start(intervalMs: () => number, onError: (error: unknown) => void): void {
    const tick = () => {
      this.#running = this.sweep()
        .catch(onError)
        .finally(() => {
          this.#running = undefined;
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, intervalMs()).unref();
        });
    };
    this.#timer = setTimeout(tick, intervalMs()).unref();
  }

  /** Stops sweeping; waits up to `ms` for a sweep in flight (one on a store that is down may never end). */
  async stop(ms = 2000): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running !== undefined) await waitAtMost(this.#running, ms);
  }

  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { interrupted: 0, checkpoints: 0, trimmed: 0 };
    for (const tenant of await this.#options.store.tenants()) {
      report.interrupted += await this.#interrupted(tenant);
      report.checkpoints += await this.#checkpoint(tenant);
      report.trimmed += await this.#retain(tenant);
    }
    return report;
  }

  async #interrupted(tenant: string): Promise<number> {
    const now = this.#now();
    const expired = await this.#options.store.expired(tenant, now, 256);
    const written = await Promise.all(
      expired.map((intent) =>
        this.#options.writer.append(tenant, interruptedReceipt(intent, now), {
          requestId: intent.request_id,
          mode: 'claim',
        }),
      ),
    );
    return written.filter((entry) => entry !== undefined).length;
  }

  async #checkpoint(tenant: string): Promise<number> {
    const signer = this.#options.signer();
    if (signer === undefined) return 0;
    const head = await this.#options.store.head(tenant);
    if (head.seq < head.first) return 0;
    const last = await this.#options.store.checkpointAtOrBefore(tenant, head.seq);
    if (last !== undefined && last.seq === head.seq) return 0;
    await this.#options.store.addCheckpoint(
      tenant,
      checkpoint({ tenant, seq: head.seq, hash: head.hash }, signer.kid, signer.key),
    );
    return 1;
  }

  async #retain(tenant: string): Promise<number> {
    const signer = this.#options.signer();
    if (signer === undefined) return 0;
    const cutoff = this.#now() - this.#options.retentionDays(tenant) * DAY_MS;
    const old = await this.#options.store.span(tenant, 0, cutoff - 1);
    const head = await this.#options.store.head(tenant);
    // Past `maxEntries` (the memory store's bound), the oldest go too.
    const overflow = head.seq - (this.#options.maxEntries ?? Infinity);
    const last = Math.max(old?.last ?? 0, overflow);
    if (last < head.first) return 0;
    const [through] = await this.#options.store.entries(tenant, last, last);
    if (through === undefined) return 0;
    await this.#options.store.trim(
      tenant,
      through.seq,
      checkpoint(through, signer.kid, signer.key),
      cutoff,
    );
    return through.seq - head.first + 1;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

/** The receipt of a request whose process died between reserve and seal. */
function interruptedReceipt(intent: Intent, now: number): Receipt {
  return {
    ...intent,
    v: 1,
    kind: 'request',
    at: new Date(now).toISOString(),
    tenant: String(intent['tenant']),
    principal: String(intent['principal']),
    outcome: 'interrupted',
  };
}
