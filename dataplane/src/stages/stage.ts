import type { Exchange, Outcome } from './context.ts';

/**
 * A stage that plugs into the pipeline (the budget guard, the audit receipt, tracing): each
 * hook it has runs at its place for every surface, in the order the stages are listed.
 *
 * - `reserve` runs after `prepare`, before the upstream call; it refuses by throwing an
 *   ApiError (the request then never reaches a provider, and the stages that reserved before
 *   it are settled with that error).
 * - `settle` runs once for every request whose `reserve` passed, when the call has ended,
 *   however it ended, and before the terminal chunk (or error) reaches the surface, so that
 *   what it learns (a cost) can ride on the answer's last event.
 * - `record` runs after `settle`, for every admitted request; it must not throw.
 */
export interface PipelineStage {
  readonly name: string;
  reserve?(exchange: Exchange): Promise<void> | void;
  settle?(exchange: Exchange, outcome: Outcome): Promise<void> | void;
  record?(exchange: Exchange, outcome: Outcome): void;
}
