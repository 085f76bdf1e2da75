import type { GatewaySettings } from '../config/gateway-settings.ts';
import { applyPiiPolicy, createStreamRedactor } from '../security/pii.ts';
import { sanitizeMessages } from '../security/sanitizer.ts';
import type { Safety } from './inference-engine.ts';

const passThrough = { push: (text: string) => text, flush: () => '' };

/** The gateway's safety policy (`gateway.yaml` → safety) as the engine uses it. */
export function createSafety(settings: () => GatewaySettings['safety']): Safety {
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
    outputFilter() {
      return settings().piiOutput === 'redact' ? createStreamRedactor() : passThrough;
    },
  };
}
