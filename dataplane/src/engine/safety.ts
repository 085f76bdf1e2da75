import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { applyPiiPolicy, createStreamRedactor } from '../security/pii.ts';
import { sanitizeMessages, sanitizeText } from '../security/sanitizer.ts';
import type { Safety } from './pipeline/prepare.ts';

/** The gateway's safety policy (`gateway.yaml` → safety) as the pipeline uses it. */
export function createSafety(settings: () => GatewaySettings['safety']): Safety {
  /** One untrusted text through the sanitiser and the input PII policy. */
  const checkText = (text: string, policy: GatewaySettings['safety']) => {
    const sanitized = policy.sanitize ? sanitizeText(text) : { text, findings: [] };
    const checked =
      policy.pii === 'off' ? sanitized.text : applyPiiPolicy(sanitized.text, policy.pii);
    return { text: checked, findings: sanitized.findings.length };
  };

  return {
    checkInput(messages) {
      const policy = settings();
      const sanitized = policy.sanitize ? sanitizeMessages(messages) : { messages, findings: [] };
      const checked =
        policy.pii === 'off'
          ? sanitized.messages
          : sanitized.messages.map((message) => ({
              ...message,
              content: applyPiiPolicy(message.content, policy.pii),
            }));
      return { messages: checked, findings: sanitized.findings.length };
    },

    checkVariables(variables) {
      const policy = settings();
      let findings = 0;
      const visit = (value: unknown): unknown => {
        if (typeof value === 'string') {
          const result = checkText(value, policy);
          findings += result.findings;
          return result.text;
        }
        if (Array.isArray(value)) return value.map(visit);
        if (value !== null && typeof value === 'object') {
          return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
        }
        return value;
      };
      return { variables: visit(variables) as Record<string, unknown>, findings };
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
