import type { GatewaySettings, InjectionSettings } from '../../../crds/gateway-settings.ts';
import type { ChatMessage } from '../core/types.ts';
import { injectionClassifier } from '../security/injection-classifier.ts';
import { applyPiiPolicy, createStreamRedactor, redactPii } from '../security/pii.ts';
import {
  sanitizeMessages,
  sanitizeText,
  type Finding,
  type InjectionOptions,
} from '../security/sanitizer.ts';
import type { Safety, SafetyScope } from './pipeline/prepare.ts';

type Policy = GatewaySettings['safety'];

const STRICTNESS = { flag: 0, sanitize: 1, block: 2 } as const;

/**
 * The injection policy of one request: the defaults, the tenant's entry over them, then the
 * route's entry with the stricter action and the lower threshold winning (a route tightens a
 * tenant's policy, never loosens it); the route's classifier is used when it names one.
 */
export function injectionPolicy(
  settings: InjectionSettings,
  scope: SafetyScope = {},
): InjectionOptions {
  const tenant = scope.tenant === undefined ? undefined : settings.tenants[scope.tenant];
  const route = scope.route === undefined ? undefined : settings.routes[scope.route];
  let action = tenant?.action ?? settings.action;
  if (route?.action !== undefined && STRICTNESS[route.action] > STRICTNESS[action]) {
    action = route.action;
  }
  const threshold = Math.min(tenant?.threshold ?? settings.threshold, route?.threshold ?? Infinity);
  const classifier = route?.classifier ?? tenant?.classifier ?? settings.classifier;
  return {
    action,
    threshold,
    classifier: classifier === 'off' ? undefined : injectionClassifier(classifier),
    classifierWeight: settings.classifierWeight,
  };
}

/** Findings by kind, counted as they are found: the sanitiser's kinds and `pii:<kind>`. */
class Tally {
  readonly counts: Record<string, number> = {};

  add(kind: string, count: number): void {
    if (count > 0) this.counts[kind] = (this.counts[kind] ?? 0) + count;
  }

  addAll(findings: readonly Finding[]): void {
    for (const finding of findings) this.add(finding.kind, finding.count);
  }
}

/** `text` under the input PII policy; what `redact` replaced is counted into `tally`. */
function piiChecked(text: string, policy: Policy, tally: Tally): string {
  if (policy.pii !== 'redact') return applyPiiPolicy(text, policy.pii);
  const redacted = redactPii(text);
  for (const [kind, count] of Object.entries(redacted.counts)) tally.add(`pii:${kind}`, count);
  return redacted.text;
}

/** The gateway's safety policy (`gateway.yaml` → safety) as the pipeline uses it. */
export function createSafety(settings: () => Policy): Safety {
  /** One untrusted text through the sanitiser and the input PII policy. */
  const checkText = (text: string, policy: Policy, injection: InjectionOptions, tally: Tally) => {
    const sanitized = policy.sanitize ? sanitizeText(text, { injection }) : { text, findings: [] };
    tally.addAll(sanitized.findings);
    return piiChecked(sanitized.text, policy, tally);
  };

  return {
    checkInput(messages, scope) {
      const policy = settings();
      const tally = new Tally();
      // Every role is scanned, `tool` results too: retrieved documents and tool output carry
      // indirect injection as user text carries direct.
      const sanitized = policy.sanitize
        ? sanitizeMessages(messages, { injection: injectionPolicy(policy.injection, scope) })
        : { messages, findings: [] };
      tally.addAll(sanitized.findings);
      const checked: ChatMessage[] =
        policy.pii === 'off'
          ? sanitized.messages
          : sanitized.messages.map((message) => ({
              ...message,
              content: piiChecked(message.content, policy, tally),
              // The arguments of earlier tool calls are client content too (JSON text: a
              // redacted string value stays valid JSON, a redacted number does not).
              ...(message.toolCalls && {
                toolCalls: message.toolCalls.map((call) => ({
                  ...call,
                  arguments: piiChecked(call.arguments, policy, tally),
                })),
              }),
            }));
      return { messages: checked, findings: tally.counts };
    },

    checkVariables(variables, scope) {
      const policy = settings();
      const injection = injectionPolicy(policy.injection, scope);
      const tally = new Tally();
      const visit = (value: unknown): unknown => {
        if (typeof value === 'string') return checkText(value, policy, injection, tally);
        if (Array.isArray(value)) return value.map(visit);
        if (value !== null && typeof value === 'object') {
          return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
        }
        return value;
      };
      return { variables: visit(variables) as Record<string, unknown>, findings: tally.counts };
    },

    checkTexts(texts) {
      const policy = settings();
      return policy.pii === 'off'
        ? [...texts]
        : texts.map((text) => applyPiiPolicy(text, policy.pii));
    },

    outputFilter() {
      return settings().piiOutput === 'redact' ? createStreamRedactor() : undefined;
    },
  };
}
