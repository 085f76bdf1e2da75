/**
 * Batches and agent profiles (docs/agents.md): a batch's items run in workers under the
 * batch's own principal, which carries no agent type, so no profile would shape them. Until
 * batch items carry it, an agent's batch submission is refused rather than run unminimised.
 */
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Principal } from '../../security/principal.ts';
import { agentOf, identityOf } from './agent-type.ts';

/**
 * @throws ApiError AGENT_FORBIDDEN `batch_not_supported` when `principal` is an agent (and
 *   the agent-type refusals of `agentOf`).
 */
export function refuseAgentBatch(snapshot: ConfigSnapshot, principal: Principal): void {
  const agent = agentOf(snapshot.gateway.agents, identityOf(principal));
  if (agent === undefined) return;
  throw new ApiError(
    'AGENT_FORBIDDEN',
    `Batches do not carry an agent profile yet; the ${agent.type} agent sends its requests one by one.`,
    { details: { reason: 'batch_not_supported', agent: agent.type } },
  );
}
