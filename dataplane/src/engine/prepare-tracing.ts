import { context, type Span, type Tracer } from '@opentelemetry/api';
import { ApiError } from '../errors/api-error.ts';
import type { Findings } from '../stages/context.ts';
import { failed } from '../stages/tracing.ts';
import type { PromptSource, Safety } from './pipeline/prepare.ts';

/**
 * Prompt resolution in a `gateway.prompt` span under the active one (`gateway.prepare`, where
 * the tracing stage runs prepare): `prompt_id`, `prompt.version` (the one rendered) and
 * `content_sha` (its manifest's checksum), `error.type` when it is refused. Never the prompt's
 * text or its variables.
 */
export function tracedPromptSource(tracer: Tracer, source: PromptSource): PromptSource {
  return {
    render(id, version, variables) {
      return inSpan(tracer, 'gateway.prompt', (span) => {
        span.setAttribute('prompt_id', id);
        if (version !== undefined) span.setAttribute('prompt.version', version);
        const rendered = source.render(id, version, variables);
        span.setAttributes({
          'prompt.version': rendered.prompt.version,
          content_sha: rendered.prompt.checksum,
        });
        return rendered;
      });
    },
  };
}

/**
 * Input safety in a `gateway.safety` span per check under the active one: `safety.input` (what
 * was checked: `variables` of a prompt, or the client's `messages`) and
 * `safety.findings.<kind>`, how many of each kind were found, removed or redacted; `error.type`
 * when the PII or injection policy refused (a blocked injection's categories are counted too). Never the text. Embeddings texts and the output filter pass through
 * untraced (the output filter runs per chunk).
 */
export function tracedSafety(tracer: Tracer, safety: Safety): Safety {
  return {
    checkVariables(variables, scope) {
      return inSpan(tracer, 'gateway.safety', (span) => {
        span.setAttribute('safety.input', 'variables');
        const checked = withBlockedCounted(span, () => safety.checkVariables(variables, scope));
        counted(span, checked.findings);
        return checked;
      });
    },
    checkInput(messages, scope) {
      return inSpan(tracer, 'gateway.safety', (span) => {
        span.setAttribute('safety.input', 'messages');
        const checked = withBlockedCounted(span, () => safety.checkInput(messages, scope));
        counted(span, checked.findings);
        return checked;
      });
    },
    checkTexts: (texts) => safety.checkTexts(texts),
    outputFilter: () => safety.outputFilter(),
  };
}

/**
 * `check()`, and when it refuses a prompt injection (`CONTENT_BLOCKED`, reason
 * `prompt_injection`), the refusal's categories on the span as the findings a flagged message
 * would have had (`safety.findings.injection`, `safety.findings.injection:<category>`).
 */
function withBlockedCounted<T>(span: Span, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const details = error instanceof ApiError ? error.details : undefined;
    if (details?.['reason'] === 'prompt_injection' && Array.isArray(details['categories'])) {
      const findings: Record<string, number> = { injection: 1 };
      for (const category of details['categories']) findings[`injection:${String(category)}`] = 1;
      counted(span, findings);
    }
    throw error;
  }
}

function counted(span: Span, findings: Findings): void {
  for (const [kind, count] of Object.entries(findings))
    span.setAttribute(`safety.findings.${kind}`, count);
}

/** `run` in a span of its own under the active span: synchronous, as prepare is. */
function inSpan<T>(tracer: Tracer, name: string, run: (span: Span) => T): T {
  const span = tracer.startSpan(name, {}, context.active());
  try {
    return run(span);
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}
