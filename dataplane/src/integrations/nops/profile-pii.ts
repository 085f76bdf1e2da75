/**
 * A profile's input PII policy (docs/agents.md), applied after the tenant's to what that let
 * through: it can redact or block kinds the tenant leaves off; a kind the tenant already
 * redacted is gone by then, so a profile never loosens a tenant's policy.
 */
import type { AgentProfile } from '../../../../crds/agent-settings.ts';
import type { ChatMessage } from '../../core/types.ts';
import { checkPii, piiBlocked, type PiiKind, type PiiPolicies } from '../../security/pii.ts';
import type { PiiOptions } from '../../security/pii-kinds.ts';
import { SafetyRefusal } from '../../engine/safety-refusal.ts';
import type { Findings } from '../../stages/context.ts';

/** The profile's policies, or undefined when it sets none (nothing to scan). */
export function profilePolicies(profile: AgentProfile): PiiPolicies | undefined {
  const { pii } = profile;
  if (pii === undefined) return undefined;
  return {
    default: pii.default ?? 'off',
    ...(pii.kinds === undefined ? {} : { kinds: pii.kinds }),
  };
}

/**
 * The messages under the profile's policy, with what it acted on as `pii:<kind>` counts.
 * @throws SafetyRefusal CONTENT_BLOCKED naming the kinds when a `block` kind is found.
 */
export function checkMessages(
  messages: readonly ChatMessage[],
  policies: PiiPolicies,
  options: PiiOptions,
): { messages: ChatMessage[]; findings: Findings } {
  const findings: Record<string, number> = {};
  const blocked = new Set<PiiKind>();
  const checked = messages.map((message) => {
    const result = checkPii(message.content, policies, options);
    for (const [kind, count] of Object.entries(result.counts))
      findings[`pii:${kind}`] = (findings[`pii:${kind}`] ?? 0) + count;
    for (const kind of result.blocked) blocked.add(kind);
    return result.text === message.content ? message : { ...message, content: result.text };
  });
  if (blocked.size > 0) throw new SafetyRefusal(piiBlocked([...blocked]), findings);
  return { messages: checked, findings };
}

/**
 * Texts that cannot be rewritten after the fact (embeddings input, which the provider gets as
 * the tenant's policy left it): any kind the profile redacts or blocks refuses the request.
 * @throws SafetyRefusal CONTENT_BLOCKED naming the kinds.
 */
export function refuseTexts(
  texts: readonly string[],
  policies: PiiPolicies,
  options: PiiOptions,
): void {
  const findings: Record<string, number> = {};
  const found = new Set<PiiKind>();
  for (const text of texts) {
    const result = checkPii(text, policies, options);
    for (const [kind, count] of Object.entries(result.counts) as [PiiKind, number][]) {
      findings[`pii:${kind}`] = (findings[`pii:${kind}`] ?? 0) + count;
      found.add(kind);
    }
  }
  if (found.size > 0) throw new SafetyRefusal(piiBlocked([...found]), findings);
}
