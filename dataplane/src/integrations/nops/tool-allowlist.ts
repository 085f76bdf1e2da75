/**
 * The per-profile MCP tool allowlist (docs/agents.md), as the MCP gateway consults it: an agent
 * sees (`tools/list`, integrations/mcp/aggregate.ts) and may call (call-tool.ts) only the tools
 * its profile's `mcpTools` lists; a caller that is no agent is left to the gateway's own
 * allowlist.
 */
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';
import { identityAllowed } from '../../security/client-identity.ts';
import type { Principal } from '../../security/principal.ts';
import { agentOf, identityOf, type Agent } from './agent-type.ts';

/** The caller's agent type for a tool receipt; undefined for no agent or one without a profile. */
export function agentTypeOf(snapshot: ConfigSnapshot, principal: Principal): string | undefined {
  try {
    return agentOf(snapshot.gateway.agents, identityOf(principal))?.type;
  } catch (error) {
    if (error instanceof ApiError) return undefined;
    throw error;
  }
}

/**
 * Which tools (as the gateway names them, `<server>__<tool>`) `principal` may see and call.
 * @throws ApiError the agent-type refusals of {@link agentOf}.
 */
export function agentToolFilter(
  snapshot: ConfigSnapshot,
  principal: Principal,
): (name: string) => boolean {
  const agent = agentOf(snapshot.gateway.agents, identityOf(principal));
  return agent === undefined ? () => true : (name) => mayUse(agent, name);
}

/**
 * The refusal of tool `name` for `principal`, or undefined when it may call it:
 * AGENT_FORBIDDEN `tool_not_allowed`, or the agent-type refusals of {@link agentOf}.
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
  if (agent === undefined || mayUse(agent, name)) return undefined;
  return new ApiError('AGENT_FORBIDDEN', `The ${agent.type} profile does not allow tool ${name}.`, {
    details: { reason: 'tool_not_allowed', agent: agent.type, tool: name },
  });
}

function mayUse(agent: Agent, name: string): boolean {
  return identityAllowed(name, agent.profile.mcpTools ?? []);
}
