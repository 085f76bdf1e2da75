import { context, type Span, type Tracer } from '@opentelemetry/api';
import type { Findings } from '../stages/context.ts';
import { failed } from '../stages/tracing.ts';
import type { PromptSource, Safety } from './pipeline/prepare.ts';
import { refusalFindings } from './safety-refusal.ts';

/**
 * Prompt resolution in a `gateway.prompt` span under the active one (`gateway.prepare`, where
 * the tracing stage runs prepare): `prompt_id`, `prompt.version` (the one rendered) and
 * `content_sha` (its manifest's checksum), `error.type` when it is refused. Never the prompt's
 * text or its variables.
 */
export function tracedPromptSource(tracer: Tracer, source: PromptSource): PromptSource {
  return {
    render(id, version, variables, assignee) {
      return inSpan(tracer, 'gateway.prompt', (span) => {
        span.setAttribute('prompt_id', id);
        if (version !== undefined) span.setAttribute('prompt.version', version);
        // The assignee is whom an A/B experiment assigns: never an attribute (it names a user).
        const rendered = source.render(id, version, variables, assignee);
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
 * was checked: `variables` of a prompt, the client's `messages`, or embeddings `texts`) and
 * `safety.findings.<kind>`, how many of each kind were found, removed, redacted or refused;
 * `error.type` when the PII or injection policy refused (with what it found up to the
 * refusal). Never the text. The output filter passes through untraced (it runs per chunk).
 */
export function tracedSafety(tracer: Tracer, safety: Safety): Safety {
  const traced = <T extends { findings: Findings }>(input: string, check: () => T): T =>
    inSpan(tracer, 'gateway.safety', (span) => {
      span.setAttribute('safety.input', input);
      try {
        const checked = check();
        counted(span, checked.findings);
        return checked;
      } catch (error) {
        counted(span, refusalFindings(error) ?? {});
        throw error;
      }
    });
  const score = safety.scoreInjection?.bind(safety);
  return {
    ...(score && { scoreInjection: score }),
    checkVariables: (variables, scope) =>
      traced('variables', () => safety.checkVariables(variables, scope)),
    checkInput: (messages, scope) => traced('messages', () => safety.checkInput(messages, scope)),
    checkTexts: (texts, scope) => traced('texts', () => safety.checkTexts(texts, scope)),
    outputFilter: (scope) => safety.outputFilter(scope),
  };
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
