import type { TargetConfig } from '../core/route.ts';
import type { Exchange, Outcome } from './context.ts';

/**
 * A stage that plugs into the pipeline (the budget guard, the audit receipt, tracing): each
 * hook it has runs at its place for every surface. The hooks of one kind are started in the
 * order the stages are listed and awaited together, so their round trips overlap: a stage
 * reads what an earlier one wrote before its first `await`, never after.
 *
 * - `reserve` runs after `prepare`, before the upstream call; it refuses by throwing an
 *   ApiError (the request then never reaches a provider, and the stages whose reserve passed
 *   are settled with the first refusal, in stage order).
 * - `settle` runs once for every request whose `reserve` passed, when the call has ended,
 *   however it ended, and before the terminal chunk (or error) reaches the surface, so that
 *   what it learns (a cost) can ride on the answer's last event.
 * - `seal` runs once for every admitted request (a refusal in `prepare` included), started
 *   right after the `settle`s and awaited with them: what it writes (the audit receipt) is
 *   durable before the caller learns the outcome.
 * - `record` runs after `settle` and `seal`, for every admitted request; it must not throw.
 * - `attempt` and `attemptEnd` are told each attempt of the route's chain as it starts
 *   (`index` from 0) and ends (`ok`, `cancelled`, or its error code); they must not throw.
 */
export interface PipelineStage {
  readonly name: string;
  reserve?(exchange: Exchange): Promise<void> | void;
  settle?(exchange: Exchange, outcome: Outcome): Promise<void> | void;
  seal?(exchange: Exchange, outcome: Outcome): Promise<void> | void;
  record?(exchange: Exchange, outcome: Outcome): void;
  attempt?(exchange: Exchange, target: TargetConfig, index: number): void;
  attemptEnd?(exchange: Exchange, target: TargetConfig, outcome: string): void;
}
