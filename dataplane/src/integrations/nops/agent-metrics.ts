import { Counter, type Registry } from 'prom-client';

/**
 * The per-profile metrics (docs/agents.md), on the app's registry. Labels are agent types,
 * surfaces, field names, providers and codes: never a value a request carried.
 */
export function agentMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'inference_agent_requests_total',
      help: 'Requests of agents by agent type, surface and outcome (served, refused, failed, cancelled) with the error code.',
      labelNames: ['agent', 'surface', 'outcome', 'code'] as const,
      registers,
    }),
    droppedFields: new Counter({
      name: 'inference_agent_dropped_fields_total',
      help: "Request fields dropped before the provider by the agent's profile, by field name.",
      labelNames: ['agent', 'field'] as const,
      registers,
    }),
    egressRefused: new Counter({
      name: 'inference_agent_egress_refused_total',
      help: "Route targets an agent's profile kept out, by provider and reason.",
      labelNames: ['agent', 'provider', 'reason'] as const,
      registers,
    }),
  };
}
export type AgentMetrics = ReturnType<typeof agentMetrics>;
