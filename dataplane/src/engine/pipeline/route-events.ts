import type { TargetConfig } from '../../core/route.ts';
import type { Attempt, Exchange } from '../../stages/context.ts';
import type { PipelineStage } from '../../stages/stage.ts';
import type { RouteEvents } from '../routing/router.ts';

/**
 * The router's events, written into the exchange (the served target and every attempt) and
 * told to the stages' `attempt` and `attemptEnd`.
 */
export function routeEvents(exchange: Exchange, stages: readonly PipelineStage[]): RouteEvents {
  let open: Attempt | undefined;
  return {
    onAttempt: (target, index) => {
      for (const stage of stages) stage.attempt?.(exchange, target, index);
      // Until it ends, an attempt is one the caller stopped reading.
      open = {
        target: target.name,
        provider: target.provider,
        model: target.model,
        outcome: 'cancelled',
      };
      exchange.attempts.push(open);
    },
    onAttemptEnd: (target, outcome) => {
      for (const stage of stages) stage.attemptEnd?.(exchange, target, outcome);
      if (open?.target === target.name) open.outcome = outcome;
      else
        exchange.attempts.push({
          target: target.name,
          provider: target.provider,
          model: target.model,
          outcome,
        });
      open = undefined;
    },
    onServed: (target) => {
      served(exchange, target);
    },
  };
}

function served(exchange: Exchange, target: TargetConfig): void {
  exchange.servedBy = target;
  exchange.firstChunkAt = performance.now();
}
