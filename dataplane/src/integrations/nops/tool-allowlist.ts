/**
 * The per-profile MCP tool allowlist (docs/agents.md), as the MCP gateway's call path consults
 * it (integrations/mcp/call-tool.ts): an agent may call only the tools its profile's
 * `mcpTools` lists; a caller that is no agent is left to the gateway's own allowlist.
 */
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';
import { identityAllowed } from '../../security/client-identity.ts';
import type { Principal } from '../../security/principal.ts';
import { agentOf, identityOf } from './agent-type.ts';

/**
 * The refusal of tool `name` (as the gateway names it, `<server>__<tool>`) for `principal`,
 * or undefined when it may call it: AGENT_FORBIDDEN `tool_not_allowed`, or the agent-type
 * refusals of {@link agentOf}.
 */
export function agentToolRefusal(
  snapshot: ConfigSnapshot,
  principal: Principal,
  name: string,
): ApiError | undefined {
  let agent;
  try {
    agent = agentOf(snapshot.gateway.agents, identityOf(principal));
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  if (agent === undefined || identityAllowed(name, agent.profile.mcpTools ?? [])) return undefined;
  return new ApiError('AGENT_FORBIDDEN', `The ${agent.type} profile does not allow tool ${name}.`, {
    details: { reason: 'tool_not_allowed', agent: agent.type, tool: name },
  });
}
