/**
 * Which agent is calling, from verified credentials only (docs/agents.md): the agent type the
 * token's `agents.claim` names, else the one `agents.identities` maps the verified client
 * certificate to. No header takes part, so a caller cannot pick its own profile.
 */
import type { AgentProfile, AgentSettings } from '../../../../crds/agent-settings.ts';
import { ApiError } from '../../errors/api-error.ts';
import { identityAllowed } from '../../security/client-identity.ts';
import type { Principal } from '../../security/principal.ts';
import type { RequestContext } from '../../stages/context.ts';

export interface Agent {
  type: string;
  profile: AgentProfile;
}

/**
 * The agent and its profile, or undefined for a caller that is no agent (neither a claim nor
 * a mapped certificate).
 * @throws ApiError AGENT_FORBIDDEN `unknown_agent_type` for a type without a profile, and
 *   `agent_type_conflict` when the claim and the certificate name different types.
 */
export function agentOf(
  settings: AgentSettings,
  identity: RequestContext['agent'],
): Agent | undefined {
  const claimed = identity?.claim;
  const certified =
    identity?.certificate === undefined ? undefined : mappedType(settings, identity.certificate);
  if (claimed !== undefined && certified !== undefined && claimed !== certified) {
    throw new ApiError(
      'AGENT_FORBIDDEN',
      `The token names agent type ${claimed} and the client certificate ${certified}.`,
      { details: { reason: 'agent_type_conflict' } },
    );
  }
  const type = claimed ?? certified;
  if (type === undefined) return undefined;
  const profile = settings.profiles[type];
  if (profile === undefined) {
    throw new ApiError('AGENT_FORBIDDEN', `Agent type ${type} has no profile.`, {
      details: { reason: 'unknown_agent_type', agent: type },
    });
  }
  return { type, profile };
}

/** What names an authenticated caller as an agent: its token's claim, its certificate. */
export function identityOf(principal: Principal): RequestContext['agent'] {
  return {
    ...(principal.agent === undefined ? {} : { claim: principal.agent }),
    ...(principal.client === undefined ? {} : { certificate: principal.client }),
  };
}

/** The agent type of a certificate identity: the first entry of `identities` it matches. */
function mappedType(settings: AgentSettings, certificate: string): string | undefined {
  for (const [pattern, type] of Object.entries(settings.identities)) {
    if (identityAllowed(certificate, [pattern])) return type;
  }
  return undefined;
}
