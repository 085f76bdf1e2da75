import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import type { Exchange, Prepared } from '../stages/context.ts';
import { tracingStage } from '../stages/tracing.ts';
import { startTracing, type Tracing } from '../telemetry/tracing.ts';
import { tracedPromptSource, tracedSafety } from './prepare-tracing.ts';
import type { PromptSource, Safety } from './pipeline/prepare.ts';
import { SafetyRefusal } from './safety-refusal.ts';

const SECRET = 'walrus-ember-2208';

const prompts: PromptSource = {
  render: (id, version) => {
    if (id === 'missing') throw new ApiError('PROMPT_NOT_FOUND', `No prompt ${id}.`);
    return {
      messages: [{ role: 'system', content: SECRET }],
      prompt: { id, version: version ?? '2.1.0', checksum: 'sha256:abc' },
    };
  },
};
const safety: Safety = {
  checkInput: (messages) => ({ messages, findings: { 'pii:email': 2, role_escalation: 1 } }),
  checkVariables: (variables) => ({ variables, findings: {} }),
  checkTexts: (texts) => ({ texts: [...texts], findings: {} }),
  outputFilter: () => undefined,
};

function exchange(): Exchange {
  const signal = new AbortController().signal;
  return {
    context: {
      requestId: 'item-1',
      tenant: 'acme',
      principal: 'tester',
      surface: 'batch',
      signal,
      deadlineMs: 1000,
    },
    signal,
    startedAt: performance.now(),
    attempts: [],
  };
}

describe('prepare in its span, with prompt and safety as children', () => {
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  afterEach(async () => {
    await tracing.shutdown();
  });

  /** Runs prepare (and record, which ends the batch item's root) and returns the spans. */
  async function traced(
    run: (p: PromptSource, s: Safety) => Prepared,
    checks: Safety = safety,
  ): Promise<ReadableSpan[]> {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({
      serviceName: 'unit',
      settings: () => ({ ratio: 1, denylist: [] }),
      env: {},
      exporter,
    })!;
    const stage = tracingStage(tracing.tracer);
    const p = tracedPromptSource(tracing.tracer, prompts);
    const s = tracedSafety(tracing.tracer, checks);
    const item = exchange();
    try {
      item.prepared = stage.prepare(item, () => run(p, s));
    } catch {
      // A refusal in prepare: the pipeline records it as it would any other outcome.
    }
    stage.record?.(item, { kind: 'cancelled', outputChars: 0 });
    await tracing.forceFlush();
    return exporter.getFinishedSpans();
  }
  const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
  const parent = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;
  const id = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

  it('nests them under gateway.prepare, under a batch item root of its own', async () => {
    const spans = await traced((p, s) => {
      const rendered = p.render('summarize', undefined, {});
      const checked = s.checkInput([{ role: 'user', content: SECRET }]);
      return {
        route: { alias: 'chat', targets: [] } as never,
        request: { messages: [...rendered.messages, ...checked.messages] },
        findings: checked.findings,
        prompt: rendered.prompt,
      };
    });
    const [root] = named(spans, 'gateway.request batch');
    const [prepare] = named(spans, 'gateway.prepare');
    const [prompt] = named(spans, 'gateway.prompt');
    const [check] = named(spans, 'gateway.safety');
    expect(parent(prepare)).toBe(id(root));
    expect([parent(prompt), parent(check)]).toEqual([id(prepare), id(prepare)]);
    expect(prompt?.attributes).toEqual({
      prompt_id: 'summarize',
      'prompt.version': '2.1.0',
      content_sha: 'sha256:abc',
    });
    expect(check?.attributes).toEqual({
      'safety.input': 'messages',
      'safety.findings.pii:email': 2,
      'safety.findings.role_escalation': 1,
    });
    expect(JSON.stringify(spans.map((span) => [span.name, span.attributes]))).not.toContain(SECRET);
  });

  it('marks a refused prompt on its span and on prepare, without an error status', async () => {
    const spans = await traced((p) => {
      p.render('missing', '1.0.0', {});
      throw new Error('unreachable');
    });
    const [prompt] = named(spans, 'gateway.prompt');
    const [prepare] = named(spans, 'gateway.prepare');
    expect(prompt?.attributes).toEqual({
      prompt_id: 'missing',
      'prompt.version': '1.0.0',
      'error.type': 'PROMPT_NOT_FOUND',
    });
    expect(prepare?.attributes['error.type']).toBe('PROMPT_NOT_FOUND');
    expect([prompt?.status.code, prepare?.status.code]).toEqual([0, 0]);
  });

  it("hands an A/B experiment's assignee to the prompt source, and puts it on no span", async () => {
    const assignees: (string | undefined)[] = [];
    const recording: PromptSource = {
      render: (id, version, variables, assignee) => {
        assignees.push(assignee);
        return prompts.render(id, version, variables, assignee);
      },
    };
    exporter = new InMemorySpanExporter();
    tracing = startTracing({
      serviceName: 'unit',
      settings: () => ({ ratio: 1, denylist: [] }),
      env: {},
      exporter,
    })!;
    tracedPromptSource(tracing.tracer, recording).render('support', undefined, {}, 'acme\u0000u-7');
    await tracing.forceFlush();
    expect(assignees).toEqual(['acme\u0000u-7']);
    expect(
      JSON.stringify(exporter.getFinishedSpans().map((span) => span.attributes)),
    ).not.toContain('u-7');
  });

  it('counts what a refusal found on the safety span, never the text', async () => {
    const blocking: Safety = {
      ...safety,
      checkInput: () => {
        const refusal = new ApiError(
          'CONTENT_BLOCKED',
          'The request reads as a prompt-injection attempt.',
          {
            details: { reason: 'prompt_injection', messageIndex: 0, categories: ['override'] },
          },
        );
        throw new SafetyRefusal(refusal, { injection: 1, 'injection:override': 1 });
      },
    };
    const spans = await traced((_p, s) => {
      s.checkInput([{ role: 'user', content: SECRET }]);
      throw new Error('unreachable');
    }, blocking);
    const [check] = named(spans, 'gateway.safety');
    expect(check?.attributes).toEqual({
      'safety.input': 'messages',
      'safety.findings.injection': 1,
      'safety.findings.injection:override': 1,
      'error.type': 'CONTENT_BLOCKED',
    });
    expect(JSON.stringify(spans.map((span) => [span.name, span.attributes]))).not.toContain(SECRET);
  });
});
