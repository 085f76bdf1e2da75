import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { ApiError } from '../errors/api-error.ts';
import type { Findings, RequestContext, Surface } from '../stages/context.ts';
import type { PipelineStage } from '../stages/stage.ts';
import { errorOf, type Receipt } from './receipt.ts';
import { auditStage } from './stage.ts';
import type { AuditStore } from './store.ts';
import { AuditSweeper } from './sweeper.ts';
import { waitAtMost } from '../core/wait.ts';
import { AuditWriter } from './writer.ts';

/** The chain receipts of requests refused before any tenant was known go to. */
export const UNAUTHENTICATED_CHAIN = '_unauthenticated';

/** Longest an answer waits for its receipt to be durable (the writer retries after it). */
export const SEAL_TIMEOUT_MS = 5000;

/** Decision configs are kept this long: the longest retention, and a day. */
export const CONFIG_TTL_MS = 181 * 86_400_000;

export interface AuditTrailOptions {
  store: AuditStore;
  snapshot: () => ConfigSnapshot | undefined;
  now?: () => number;
  onError?: (error: unknown, tenant?: string) => void;
  onLate?: (tenant: string) => void;
  /** Told of each receipt the pipeline sealed, by outcome. */
  onSealed?: (outcome: string) => void;
  /** Most receipts kept per tenant whatever their age (a store in memory). */
  maxEntries?: number;
}

/** A request refused before the pipeline admitted it (authentication, validation, load). */
export interface Refusal {
  tenant: string | undefined;
  principal: string | undefined;
  requestId: string;
  surface: Surface;
  error: ApiError;
}

/** An admin action (a batch cancelled, dead letters re-driven). */
export interface AdminAction {
  tenant: string;
  principal: string;
  requestId: string;
  action: string;
  target: string;
}

/** An MCP tool call through the gateway (names and counts; never arguments or results). */
export interface ToolCall {
  tenant: string;
  principal: string;
  requestId: string;
  gateway: string;
  server: string;
  tool: string;
  /** How many arguments the call carried. */
  arguments: number;
  /** The caller's agent type, when an agent profile applies (docs/agents.md). */
  agent?: string;
  outcome: 'served' | 'refused' | 'failed' | 'cancelled';
  /** Content items of the result, when it was served. */
  contentItems?: number;
  /** The error code, when refused or failed. */
  error?: string;
  /** What safety found in the result, by kind (counts, never content). */
  findings?: Findings;
  durationMs: number;
}

/**
 * The audit trail of one dataplane: the pipeline stage, the writer every receipt goes through,
 * the sweeper, and the receipts of what happens outside the pipeline (docs/audit.md).
 */
export class AuditTrail {
  readonly store: AuditStore;
  readonly writer: AuditWriter;
  readonly sweeper: AuditSweeper;
  readonly stage: PipelineStage & { sealed(context: RequestContext): boolean };
  readonly #options: AuditTrailOptions;

  constructor(options: AuditTrailOptions) {
    this.#options = options;
    this.store = options.store;
    const signer = () => {
      const active = options.snapshot()?.auditKeys?.active;
      return active === undefined ? undefined : { kid: active.kid, key: active.key };
    };
    this.writer = new AuditWriter({
      store: options.store,
      signer,
      checkpointEvery: () => options.snapshot()?.gateway.audit.checkpointEvery ?? 1000,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    this.sweeper = new AuditSweeper({
      store: options.store,
      writer: this.writer,
      signer,
      retentionDays: (tenant) => options.snapshot()?.budgets.get(tenant)?.auditRetentionDays ?? 90,
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.stage = auditStage({
      store: options.store,
      writer: this.writer,
      snapshot: options.snapshot,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.onLate === undefined ? {} : { onLate: options.onLate }),
      ...(options.onSealed === undefined ? {} : { onSealed: options.onSealed }),
      sealTimeoutMs: SEAL_TIMEOUT_MS,
    });
  }

  /** Stops sweeping and waits up to `ms` for the receipts still queued to be written. */
  async close(ms: number): Promise<void> {
    await this.sweeper.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.writer.idle(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The receipt of a request refused before the pipeline; durable when this resolves. */
  async refused(refusal: Refusal): Promise<void> {
    const tenant = refusal.tenant ?? UNAUTHENTICATED_CHAIN;
    await this.#durable(tenant, {
      ...this.#base(tenant, refusal.principal ?? '', refusal.requestId),
      kind: 'request',
      surface: refusal.surface,
      outcome: 'refused',
      error: errorOf(refusal.error, false),
    });
  }

  /** The receipt of an admin action; durable when this resolves. */
  async admin(action: AdminAction): Promise<void> {
    await this.#durable(action.tenant, {
      ...this.#base(action.tenant, action.principal, action.requestId),
      kind: 'admin',
      outcome: 'done',
      action: action.action,
      target: action.target,
    });
  }

  /** The receipt of an MCP tool call; durable when this resolves. */
  async tool(call: ToolCall): Promise<void> {
    await this.#durable(call.tenant, {
      ...this.#base(call.tenant, call.principal, call.requestId),
      kind: 'tool',
      outcome: call.outcome,
      mcp: {
        gateway: call.gateway,
        server: call.server,
        tool: call.tool,
        arguments: call.arguments,
        ...(call.contentItems === undefined ? {} : { content_items: call.contentItems }),
      },
      // A profile drops no argument of a tool call and keeps no target out: only its allowlist applies.
      ...(call.agent === undefined
        ? {}
        : { agent: { type: call.agent, dropped: [], refused: [] } }),
      ...(call.error === undefined ? {} : { error: { code: call.error } }),
      ...(call.findings === undefined ? {} : { findings: call.findings }),
      duration_ms: call.durationMs,
    });
  }

  /** Keeps the snapshot's decision config for replay (content-addressed, CONFIG_TTL_MS). */
  async keep(snapshot: ConfigSnapshot): Promise<void> {
    await this.store.putConfig(
      snapshot.decision.checksum,
      snapshot.decision.document,
      CONFIG_TTL_MS,
    );
  }

  /**
   * Appends, waiting up to the seal's bound, or not at all while the store is failing (the
   * receipt is queued and retried either way).
   */
  async #durable(tenant: string, receipt: Receipt): Promise<void> {
    if (this.#options.snapshot()?.gateway.audit.enabled === false) return;
    const waitMs = this.writer.failing ? 0 : SEAL_TIMEOUT_MS;
    await waitAtMost(this.writer.append(tenant, receipt), waitMs, () =>
      this.#options.onLate?.(tenant),
    );
  }

  #base(
    tenant: string,
    principal: string,
    requestId: string,
  ): Pick<Receipt, 'v' | 'at' | 'tenant' | 'principal' | 'request_id' | 'config'> {
    const now = (this.#options.now ?? Date.now)();
    return {
      v: 1,
      at: new Date(now).toISOString(),
      tenant,
      principal,
      request_id: requestId,
      config: this.#options.snapshot()?.decision.checksum,
    };
  }
}
