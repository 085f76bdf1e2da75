import type { KeyObject } from 'node:crypto';
import { checkpoint, type ChainEntry, type ExportLine } from './chain.ts';
import type { AuditStore } from './store.ts';

const PAGE = 500;

/**
 * A tenant's receipts written within [fromMs, toMs], as the export lines an auditor verifies
 * (docs/audit.md): the checkpoint that anchors the first of them (the latest one before it;
 * the receipts between that checkpoint and `fromMs` come along, so that the link is whole),
 * every receipt followed by the checkpoints over it, and a final checkpoint, signed now, over
 * the last. Nothing at all when no receipt was written in the range.
 */
export async function* exportLines(
  store: AuditStore,
  tenant: string,
  range: { fromMs: number; toMs: number },
  signer: { kid: string; key: KeyObject },
): AsyncGenerator<ExportLine> {
  const span = await store.span(tenant, range.fromMs, range.toMs);
  if (span === undefined) return;
  const head = await store.head(tenant);
  const first = Math.max(span.first, head.first);
  const anchor = first > 1 ? await store.checkpointAtOrBefore(tenant, first - 1) : undefined;
  if (anchor !== undefined) yield anchor;
  let last: ChainEntry | undefined;
  for (
    let from = anchor === undefined ? head.first : anchor.seq + 1;
    from <= span.last;
    from += PAGE
  ) {
    const to = Math.min(span.last, from + PAGE - 1);
    const [entries, points] = await Promise.all([
      store.entries(tenant, from, to),
      store.checkpoints(tenant, from, to),
    ]);
    let next = 0;
    for (const entry of entries) {
      yield entry;
      last = entry;
      for (; next < points.length && (points[next]?.seq ?? Infinity) <= entry.seq; next++) {
        const point = points[next];
        if (point?.seq === entry.seq) yield point;
      }
    }
  }
  if (last !== undefined) yield checkpoint(last, signer.kid, signer.key, true);
}
