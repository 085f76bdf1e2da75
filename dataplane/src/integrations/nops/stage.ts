/**
 * The agent-profile stage (docs/agents.md). Listed first, its `reserve` does all its work
 * before its first (and only) return, so the stages after it (the budget guard, the audit
 * trail) see the request as the provider will: the model checked against the profile, the
 * fields it does not list dropped, max_tokens bounded, the profile's PII policy applied and the
 * route cut to the targets its egress allows. A refusal here reaches no provider and is sealed
 * like any other. `record` counts per agent type.
 */
import type { Registry } from 'prom-client';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { estimateInputTokens } from '../../budget/estimate.ts';
import { ApiError } from '../../errors/api-error.ts';
import { piiFor } from '../../security/pii-settings.ts';
import type { AgentFacts, Exchange, Outcome, Prepared } from '../../stages/context.ts';
import type { PipelineStage } from '../../stages/stage.ts';
import { sumFindings } from '../../engine/pipeline/prepare.ts';
import { SafetyRefusal } from '../../engine/safety-refusal.ts';
import { agentOf, type Agent } from './agent-type.ts';
import { agentMetrics } from './agent-metrics.ts';
import { reachable } from './egress.ts';
import { minimise } from './minimise.ts';
import { checkMessages, profilePolicies, refuseTexts } from './profile-pii.ts';

/** Response headers an agent reads (contracts/agents: the contract). */
export const AGENT_TYPE_HEADER = 'x-agent-type';
export const DROPPED_FIELDS_HEADER = 'x-agent-dropped-fields';

export function agentProfileStage(deps: {
  snapshot: () => ConfigSnapshot;
  registry: Registry;
}): PipelineStage {
  const metrics = agentMetrics(deps.registry);
  return {
    name: 'agent',
    reserve(exchange) {
      const snapshot = deps.snapshot();
      const agent = agentOf(snapshot.gateway.agents, exchange.context.agent);
      if (agent === undefined) return;
      const facts: AgentFacts = { type: agent.type, dropped: [], refused: [] };
      exchange.agent = facts;
      exchange.context.setHeader?.(AGENT_TYPE_HEADER, agent.type);
      checkModel(agent, exchange.alias);
      if (exchange.prepared !== undefined)
        shapeChat(exchange, exchange.prepared, agent, facts, snapshot);
      else if (exchange.texts !== undefined)
        checkEmbeddings(exchange, exchange.texts, agent, snapshot);
      const route = exchange.prepared?.route ?? exchange.route;
      if (route === undefined) return;
      const { route: kept, refused } = reachable(
        route,
        agent.profile.egress ?? {},
        snapshot.gateway.egress,
      );
      facts.refused = refused.map((each) => each.target);
      for (const each of refused)
        metrics.egressRefused.inc({
          agent: agent.type,
          provider: each.provider,
          reason: each.reason,
        });
      // Embeddings call the route they resolved: only all or nothing can be kept from them.
      if (kept.targets.length === 0 || (exchange.prepared === undefined && refused.length > 0)) {
        throw new ApiError(
          'AGENT_EGRESS_REFUSED',
          `The ${agent.type} profile may reach no target of route ${route.alias}.`,
          { details: { agent: agent.type, route: route.alias, refused } },
        );
      }
      exchange.route = kept;
      if (exchange.prepared !== undefined)
        exchange.prepared = { ...exchange.prepared, route: kept };
    },
    record(exchange, outcome) {
      const agent = exchange.agent;
      if (agent === undefined) return;
      for (const field of agent.dropped) metrics.droppedFields.inc({ agent: agent.type, field });
      metrics.requests.inc({
        agent: agent.type,
        surface: exchange.context.surface,
        ...outcomeLabels(exchange, outcome),
      });
    },
  };
}

function checkModel(agent: Agent, alias: string | undefined): void {
  if (alias !== undefined && agent.profile.models.includes(alias)) return;
  throw new ApiError(
    'AGENT_FORBIDDEN',
    `The ${agent.type} profile does not allow model ${alias ?? '(none)'}.`,
    {
      details: {
        reason: 'model_not_allowed',
        agent: agent.type,
        ...(alias === undefined ? {} : { model: alias }),
      },
    },
  );
}

/** Minimisation, the output and context bounds, and the profile's PII policy, in that order. */
function shapeChat(
  exchange: Exchange,
  prepared: Prepared,
  agent: Agent,
  facts: AgentFacts,
  snapshot: ConfigSnapshot,
): void {
  const { profile } = agent;
  const { request, dropped } = minimise(prepared.request, profile.fields ?? []);
  facts.dropped = dropped;
  if (dropped.length > 0) exchange.context.setHeader?.(DROPPED_FIELDS_HEADER, dropped.join(','));
  let maxTokens = request.maxTokens;
  if (profile.maxOutputTokens !== undefined) {
    if (maxTokens !== undefined && maxTokens > profile.maxOutputTokens) {
      throw limit(
        agent,
        'maxOutputTokens',
        `max_tokens ${maxTokens} is above the ${agent.type} profile's ${profile.maxOutputTokens}.`,
      );
    }
    maxTokens ??= profile.maxOutputTokens;
  }
  let messages = request.messages;
  const policies = profilePolicies(profile);
  if (policies !== undefined) {
    const { options } = piiFor(snapshot.gateway.safety, exchange.context.tenant);
    const checked = withPrepareFindings(exchange, () => checkMessages(messages, policies, options));
    messages = checked.messages;
    exchange.findings = sumFindings(exchange.findings ?? {}, checked.findings);
  }
  if (profile.maxContextTokens !== undefined) {
    const tokens = estimateInputTokens(messages);
    if (tokens > profile.maxContextTokens) {
      throw limit(
        agent,
        'maxContextTokens',
        `The input (about ${tokens} tokens) is above the ${agent.type} profile's ${profile.maxContextTokens}.`,
      );
    }
  }
  exchange.prepared = {
    ...prepared,
    request: { ...request, messages, ...(maxTokens === undefined ? {} : { maxTokens }) },
  };
}

function checkEmbeddings(
  exchange: Exchange,
  texts: readonly string[],
  agent: Agent,
  snapshot: ConfigSnapshot,
): void {
  const policies = profilePolicies(agent.profile);
  if (policies === undefined) return;
  const { options } = piiFor(snapshot.gateway.safety, exchange.context.tenant);
  withPrepareFindings(exchange, () => {
    refuseTexts(texts, policies, options);
  });
}

/**
 * Runs a profile PII check; its refusal carries what `prepare` found too, since the pipeline
 * takes a refusal's findings as the request's (engine/safety-refusal.ts).
 */
function withPrepareFindings<T>(exchange: Exchange, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof SafetyRefusal)) throw error;
    throw new SafetyRefusal(error, sumFindings(exchange.findings ?? {}, error.findings));
  }
}

function limit(
  agent: Agent,
  name: 'maxOutputTokens' | 'maxContextTokens',
  message: string,
): ApiError {
  return new ApiError('AGENT_LIMIT_EXCEEDED', message, {
    details: { agent: agent.type, limit: name },
  });
}

function outcomeLabels(exchange: Exchange, outcome: Outcome): { outcome: string; code: string } {
  if (outcome.kind === 'done') return { outcome: 'served', code: '' };
  if (outcome.kind === 'cancelled') return { outcome: 'cancelled', code: '' };
  return {
    outcome: exchange.attempts.length === 0 ? 'refused' : 'failed',
    code: outcome.error.code,
  };
}
