import type { ConfigSnapshot } from '../config/snapshot.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Exchange, RequestContext } from '../stages/context.ts';
import type { PipelineStage } from '../stages/stage.ts';
import { ContentDigests, type RunningDigest } from './digest.ts';
import { requestReceipt, type Receipt } from './receipt.ts';
import { waitAtMost } from '../core/wait.ts';
import type { AuditStore, Intent } from './store.ts';
import type { AuditWriter } from './writer.ts';

export interface AuditStageOptions {
  store: AuditStore;
  writer: AuditWriter;
  snapshot: () => ConfigSnapshot | undefined;
  now?: () => number;
  /** Longest a seal waits for its receipt to be durable before the answer goes on. @default 5000 */
  sealTimeoutMs?: number;
  /** Told of a receipt that was not durable within the seal's wait (it is still retried). */
  onLate?: (tenant: string) => void;
  /** Told of each receipt sealed, by outcome. */
  onSealed?: (outcome: string) => void;
}

/**
 * The audit stage (DESIGN §5 step 9, docs/audit.md): in `reserve`, the request's intent is
 * written under a lease (a sweep turns an intent whose process died into an `interrupted`
 * receipt), and a store that cannot be reached refuses the request before any provider is
 * called (AUDIT_UNAVAILABLE), unless the tenant's budget says failOpen; in `seal`, the receipt is appended to the tenant's chain, in the
 * round trip of the budget's settlement, and the answer's last event waits for it.
 */
export function auditStage(options: AuditStageOptions): PipelineStage & {
  /** Whether the pipeline sealed the request of this context (its receipt is written). */
  sealed(context: RequestContext): boolean;
} {
  const now = options.now ?? Date.now;
  const outputs = new WeakMap<Exchange, RunningDigest>();
  const sealed = new WeakSet<RequestContext>();
  const digests = new WeakMap<Buffer, ContentDigests>();
  const digestsOf = (snapshot: ConfigSnapshot | undefined): ContentDigests | undefined => {
    const key = snapshot?.auditKeys?.contentKey;
    if (key === undefined) return undefined;
    let found = digests.get(key);
    if (found === undefined) {
      found = new ContentDigests(key);
      digests.set(key, found);
    }
    return found;
  };

  return {
    name: 'audit',

    sealed: (context) => sealed.has(context),

    async reserve(exchange) {
      const { context } = exchange;
      const snapshot = options.snapshot();
      if (snapshot?.gateway.audit.enabled === false) return;
      const output = digestsOf(snapshot)?.output(context.tenant);
      if (output !== undefined) {
        outputs.set(exchange, output);
        exchange.observeOutput = (text) => output.update(text, 'utf8');
      }
      const intent: Intent = {
        request_id: context.requestId,
        tenant: context.tenant,
        principal: context.principal,
        surface: context.surface,
        model: exchange.alias,
        config: snapshot?.decision.checksum,
        streamed: exchange.streamed ?? false,
        started_at: new Date(now()).toISOString(),
      };
      const leaseMs = context.deadlineMs + (snapshot?.gateway.audit.leaseMarginS ?? 60) * 1000;
      try {
        await options.store.intend(context.tenant, intent, now() + leaseMs);
      } catch (error) {
        // A budget that says failOpen puts availability first: served, its receipt queued.
        if (snapshot?.budgets.get(context.tenant)?.failOpen === true) return;
        throw new ApiError('AUDIT_UNAVAILABLE', 'The audit store cannot be reached.', {
          retryAfterS: 1,
          cause: error,
        });
      }
    },

    async seal(exchange, outcome) {
      const { context } = exchange;
      sealed.add(context);
      const snapshot = options.snapshot();
      if (snapshot?.gateway.audit.enabled === false) return;
      const digests = digestsOf(snapshot);
      const sent = exchange.texts ?? exchange.prepared?.request.messages;
      const output = outputs.get(exchange);
      const contentSha: Receipt['content_sha'] =
        digests === undefined
          ? undefined
          : {
              input: sent === undefined ? undefined : digests.input(context.tenant, sent),
              output: output?.digest('hex'),
            };
      const receipt = requestReceipt(exchange, outcome, {
        at: now(),
        snapshot,
        ...(contentSha === undefined ? {} : { contentSha }),
      });
      options.onSealed?.(receipt.outcome);
      const written = options.writer.append(context.tenant, receipt, {
        requestId: context.requestId,
        mode: 'settle',
      });
      // A store that refused the last append is not waited for: the receipt is queued.
      const waitMs = options.writer.failing ? 0 : (options.sealTimeoutMs ?? 5000);
      await waitAtMost(written, waitMs, () => options.onLate?.(context.tenant));
    },
  };
}
