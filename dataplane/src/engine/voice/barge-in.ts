import { performance } from 'node:perf_hooks';
import { ApiError } from '../../errors/api-error.ts';
import type { DownlinkFrame } from './frames.ts';
import type { VoiceMetrics } from './metrics.ts';
import type { Turn } from './turn.ts';

/**
 * The caller spoke over `turn`'s answer, the VAD's onset in the audio frame that arrived at
 * `arrivedAt` (performance.now()): the answer is cancelled upstream (once per turn), and the
 * latency from that arrival to the cancel is observed and sent as `barge_in`, then `metrics`.
 */
export function bargeIn(
  turn: Turn,
  arrivedAt: number,
  out: { metrics: VoiceMetrics; sessionId: string; send(frame: DownlinkFrame): void },
): void {
  if (turn.bargedIn) return;
  turn.bargedIn = true;
  turn.controller.abort(
    new ApiError('BAD_REQUEST', 'The caller spoke over the answer.', {
      details: { reason: 'barge_in' },
    }),
  );
  const latencyMs = performance.now() - arrivedAt;
  out.metrics.bargeIn.observe(latencyMs / 1000);
  const ids = { turn_id: turn.id, session_id: out.sessionId };
  out.send({ type: 'barge_in', ...ids, latency_ms: latencyMs });
  out.send({ type: 'metrics', ...ids, barge_in_ms: latencyMs });
}
