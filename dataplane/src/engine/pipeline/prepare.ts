import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { responseFormatOf, type InferenceInput } from '../../core/inference-input.ts';
import type { RouteConfig } from '../../core/route.ts';
import type { ChatMessage, ToolCall } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Findings, Prepared } from '../../stages/context.ts';
import type { ClassifierScores } from '../../security/injection-classifier.ts';
import { refuseLogprobsUnderOutputFilter } from './logprobs-policy.ts';

/** Prompt resolution as the pipeline needs it: trusted messages plus the prompt's defaults. */
export interface PromptSource {
  render(
    id: string,
    version: string | undefined,
    variables: Record<string, unknown>,
    /** Who an A/B prompt experiment assigns (prompts/experiment.ts). */
    assignee?: string,
  ): {
    messages: ChatMessage[];
    /** The version that was rendered, and its manifest's checksum. */
    prompt: { id: string; version: string; checksum: string };
    model?: string;
    temperature?: number;
    topP?: number;
    maxTokens?: number;
  };
}

/** Whose request a safety check is for: the tenant's and the route's policies apply. */
export interface SafetyScope {
  tenant?: string | undefined;
  /** The model alias asked for. */
  route?: string | undefined;
  /** The classifier probabilities `scoreInjection` computed for the request's texts. */
  injectionScores?: ClassifierScores | undefined;
}

/** Input and output safety as the pipeline needs it; findings are metadata, never content. */
export interface Safety {
  /**
   * The probabilities of the injection classifiers that cannot score synchronously (jailguard
   * reads an embedding, the guard model answers a call) for the request's client texts,
   * computed before `prepare`, which hands them to the checks below in their scope; undefined
   * when no policy names such a classifier.
   */
  scoreInjection?(
    input: InferenceInput,
    tenant: string | undefined,
  ): Promise<ClassifierScores | undefined>;
  /** Sanitises client-supplied messages and applies the input PII policy. */
  checkInput(
    messages: ChatMessage[],
    scope?: SafetyScope,
  ): { messages: ChatMessage[]; findings: Findings };
  /** The same for prompt variables: every string in them is client content. */
  checkVariables(
    variables: Record<string, unknown>,
    scope?: SafetyScope,
  ): {
    variables: Record<string, unknown>;
    findings: Findings;
  };
  /**
   * The input PII policy on texts that are not instructions to a model (embeddings input):
   * redacted or refused as chat content is, but not sanitised.
   */
  checkTexts(
    texts: readonly string[],
    scope?: SafetyScope,
  ): { texts: string[]; findings: Findings };
  /**
   * A per-stream output filter: text in, text out, holding back what may still be PII; the
   * answer's tool calls (they come whole, in its last chunk) through the same policy.
   */
  outputFilter(scope?: SafetyScope): OutputFilter | undefined;
}

export interface OutputFilter {
  push(text: string): string;
  flush(): string;
  toolCalls(calls: ToolCall[]): ToolCall[];
  /** What it redacted so far, by kind (`output:pii:<kind>`): counts, never content. */
  findings(): Findings;
}

export interface PrepareDeps {
  snapshot: ConfigSnapshot;
  prompts: PromptSource;
  safety: Safety;
  /** The tenant asking, for its safety policy. */
  tenant?: string | undefined;
  /** Who asked within the tenant (the token's subject): an A/B prompt's user without `user`. */
  principal?: string | undefined;
  /** What `Safety.scoreInjection` computed for this request. */
  injectionScores?: ClassifierScores | undefined;
}

/**
 * The `prepare` stage of a chat request: prompt resolution, input safety, the route, and the
 * parameters (the request's over the prompt's defaults). A request that names a model no route
 * serves is a MODEL_NOT_FOUND; one with neither prompt nor messages a BAD_REQUEST.
 */
export function prepareChat(input: InferenceInput, deps: PrepareDeps): Prepared {
  if (input.prompt === undefined && (input.messages === undefined || input.messages.length === 0)) {
    throw new ApiError('BAD_REQUEST', 'body must name a prompt or carry messages', {
      details: { path: 'body.messages' },
    });
  }
  checkTools(input);
  const parameters = input.parameters ?? {};
  if (parameters.logprobs === true) refuseLogprobsUnderOutputFilter(deps.safety);
  const variables =
    input.prompt === undefined
      ? undefined
      : deps.safety.checkVariables(input.prompt.variables ?? {}, {
          tenant: deps.tenant,
          route: input.model,
          injectionScores: deps.injectionScores,
        });
  const rendered =
    input.prompt === undefined || variables === undefined
      ? undefined
      : deps.prompts.render(
          input.prompt.id,
          input.prompt.version,
          variables.variables,
          assigneeOf(input, deps),
        );
  const alias = input.model ?? rendered?.model ?? deps.snapshot.gateway.defaultModel;
  const client = deps.safety.checkInput(input.messages ?? [], {
    tenant: deps.tenant,
    route: alias,
    injectionScores: deps.injectionScores,
  });
  if (alias === undefined) {
    throw new ApiError(
      'BAD_REQUEST',
      'body.model is required (no prompt or gateway default names one)',
      {
        details: { path: 'body.model' },
      },
    );
  }
  const temperature = parameters.temperature ?? rendered?.temperature;
  const topP = parameters.top_p ?? rendered?.topP;
  const maxTokens = parameters.max_tokens ?? rendered?.maxTokens;
  return {
    route: routeFor(deps.snapshot, alias),
    findings: sumFindings(client.findings, variables?.findings),
    ...(rendered === undefined ? {} : { prompt: rendered.prompt }),
    request: {
      messages: [...(rendered?.messages ?? []), ...client.messages],
      ...(temperature === undefined ? {} : { temperature }),
      ...(topP === undefined ? {} : { topP }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(parameters.stop === undefined ? {} : { stop: parameters.stop }),
      ...(input.user === undefined ? {} : { user: input.user }),
      ...(parameters.seed === undefined ? {} : { seed: parameters.seed }),
      ...(parameters.response_format === undefined
        ? {}
        : { responseFormat: responseFormatOf(parameters.response_format) }),
      ...(parameters.logprobs === true
        ? { logprobs: { topLogprobs: parameters.top_logprobs ?? 0 } }
        : {}),
      ...(input.tools === undefined
        ? {}
        : {
            tools: input.tools,
            ...(input.toolChoice === undefined ? {} : { toolChoice: input.toolChoice }),
            ...(input.parallelToolCalls === undefined
              ? {}
              : { parallelToolCalls: input.parallelToolCalls }),
          }),
    },
  };
}

/** `a` and `b` counted together (`a` itself when `b` adds nothing). */
export function sumFindings(a: Findings, b: Findings | undefined): Findings {
  if (b === undefined || Object.keys(b).length === 0) return a;
  const sum: Record<string, number> = { ...a };
  for (const [kind, count] of Object.entries(b)) sum[kind] = (sum[kind] ?? 0) + count;
  return sum;
}

/** The route of a model alias, or MODEL_NOT_FOUND. */
export function routeFor(snapshot: ConfigSnapshot, alias: string): RouteConfig {
  const route = snapshot.routes.get(alias);
  if (route === undefined) {
    throw new ApiError('MODEL_NOT_FOUND', `No route serves model ${alias}.`, {
      details: { model: alias },
    });
  }
  return route;
}

/** A tool choice needs tools, and a named one must be among them: a 400 otherwise. */
function checkTools({ tools, toolChoice }: InferenceInput): void {
  if (toolChoice === undefined || toolChoice === 'none') return;
  if (tools === undefined || tools.length === 0) {
    throw new ApiError('BAD_REQUEST', 'tool_choice needs tools.', {
      details: { path: 'body.tool_choice' },
    });
  }
  if (typeof toolChoice === 'object' && !tools.some((tool) => tool.name === toolChoice.name)) {
    throw new ApiError(
      'BAD_REQUEST',
      `tool_choice names ${toolChoice.name}, which is not among the tools.`,
      {
        details: { path: 'body.tool_choice' },
      },
    );
  }
}

/**
 * The user an A/B prompt experiment assigns: the request's end user, within its tenant, else
 * the authenticated subject; none for a request with neither.
 */
function assigneeOf(input: InferenceInput, deps: PrepareDeps): string | undefined {
  const who = input.user ?? deps.principal;
  return who === undefined ? undefined : `${deps.tenant ?? ''}\u0000${who}`;
}
