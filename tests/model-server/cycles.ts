/**
 * Load/unload cycles in one model-server process: each cycle swaps to the other of two specs
 * (a dual-load, the switch, the old version drained and unloaded) and records the swap time
 * and the process RSS with both loaded and once the old one is gone. Shared by
 * cycles.test.ts and bench/model-swap.ts.
 */
import { eventually } from '../support/eventually.ts';
import type { ModelServerProcess } from './process.ts';

/** A POST /admin/swap body. */
export interface SwapSpec {
  uri: string;
  version: string;
  quantization?: string;
}

export interface CycleRecord {
  cycle: number;
  to: string;
  swapMs: number;
  rssDualLoadBytes: number;
  rssAfterUnloadBytes: number;
}

interface Event {
  result: string;
  to?: string;
  swapMs?: number;
  rssDualLoadBytes?: number;
  rssAfterUnloadBytes?: number;
}

export async function swapCycles(
  server: ModelServerProcess,
  token: string,
  specs: readonly [SwapSpec, SwapSpec],
  cycles: number,
): Promise<CycleRecord[]> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const records: CycleRecord[] = [];
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const spec = specs[cycle % 2] ?? specs[0];
    const response = await fetch(`${server.url}/admin/swap`, {
      method: 'POST',
      headers,
      body: JSON.stringify(spec),
    });
    if (response.status !== 200) throw new Error(`cycle ${cycle}: ${await response.text()}`);
    const { event } = (await response.json()) as { event: Event };
    const completed = await eventually(async () => {
      const status = (await (await fetch(`${server.url}/admin/model`, { headers })).json()) as {
        state: string;
        events: Event[];
      };
      const last = status.events.at(-1);
      return status.state === 'idle' && last?.result === 'completed' ? last : undefined;
    }, 60_000);
    records.push({
      cycle,
      to: spec.version,
      swapMs: event.swapMs ?? NaN,
      rssDualLoadBytes: event.rssDualLoadBytes ?? NaN,
      rssAfterUnloadBytes: completed.rssAfterUnloadBytes ?? NaN,
    });
  }
  return records;
}
