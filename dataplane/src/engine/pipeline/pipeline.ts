import { snapshotFor } from '../../config/sandbox.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { InferenceInput } from '../../core/inference-input.ts';
import type { Chunk, TokenLogprob } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { EmbeddingResult } from '../../providers/provider.ts';
import type { Router } from '../routing/router.ts';
import type { Semaphore } from '../routing/semaphore.ts';
import type { Exchange, Outcome, Prepared, RequestContext } from '../../stages/context.ts';
import {
  prepareChat,
  routeFor,
  sumFindings,
  type OutputFilter,
  type PromptSource,
  type Safety,
} from './prepare.ts';
import { routeEvents } from './route-events.ts';
import type { AnswerCache, CacheLookup, CachedAnswer } from './answer-cache.ts';
import { withDeadline } from './deadline.ts';
import { refusalFindings } from '../safety-refusal.ts';
import type { PipelineStage } from '../../stages/stage.ts';

export interface PipelineDeps {
  snapshot: () => ConfigSnapshot;
  router: Router;
  semaphore: Semaphore;
  prompts: PromptSource;
  safety: Safety;
  /** The stages that plug in (reserve, settle, record), in order. */
  stages: readonly PipelineStage[];
  /**
   * Runs `prepare` for `exchange` (tracing runs it inside its `gateway.prepare` span, so that the
   * prompt's and safety's spans nest there); it must return what `prepare` returns, or throw
   * what it throws. @default calls `prepare`
   */
  aroundPrepare?: (exchange: Exchange, prepare: () => Prepared) => Prepared;
  /** The exact answer cache of the routes that have one. */
  cache?: AnswerCache;
}

/** A streamed answer: what `prepare` decided, and the chunks (iterate them, or `return`). */
export interface Answer {
  prepared: Prepared;
  chunks: AsyncIterable<Chunk>;
}

/** A whole answer, for the synchronous surfaces. */
export interface Completion {
  prepared: Prepared;
  text: string;
  done: Extract<Chunk, { type: 'done' }>;
}

export interface EmbeddingsInput {
  model: string;
  input: string[];
  dimensions?: number;
}

/** An exchange that holds a concurrency slot (and its deadline's timer). */
type Admitted = Exchange & { readonly release: () => void };

/**
 * The one road from a surface to a provider (DESIGN §5). Every surface (native sync and
 * stream, OpenAI-compatible, embeddings, batch items) runs the same stages in the same order:
 *
 *   admit → prepare → reserve → call → filter output → settle → record
 *
 * `admit` takes a concurrency slot (OVERLOADED when none frees in time); `prepare` resolves the
 * prompt, applies input safety and finds the route; `call` walks the route's fallback chain;
 * `filter output` applies the output PII policy per chunk. `reserve`, `settle` and `record`
 * are the hooks of the plugged-in stages (`PipelineStage`). The slot is held until settled.
 */
export class Pipeline {
  readonly #deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  /** A chat answer as a stream of chunks; a refusal before the call rejects this promise. */
  stream(context: RequestContext, input: InferenceInput): Promise<Answer> {
    return this.#open(context, input, false);
  }

  /** admit, prepare and reserve; then the call's chunks. */
  async #open(context: RequestContext, input: InferenceInput, whole: boolean): Promise<Answer> {
    const exchange = await this.#admit(context);
    let prepared: Prepared;
    try {
      const snapshot = this.#snapshot(exchange);
      // An embedding classifier is asynchronous and prepare is not: it scores the texts first.
      const injectionScores = await this.#deps.safety.scoreInjection?.(
        input,
        exchange.context.tenant,
      );
      const prepare = () =>
        prepareChat(input, {
          snapshot,
          prompts: this.#deps.prompts,
          safety: this.#deps.safety,
          tenant: exchange.context.tenant,
          principal: exchange.context.principal,
          injectionScores,
        });
      const around = this.#deps.aroundPrepare;
      prepared = around === undefined ? prepare() : around(exchange, prepare);
    } catch (error) {
      return this.#refuse(exchange, error, NONE);
    }
    exchange.prepared = prepared;
    exchange.findings = prepared.findings;
    // Which prompt version answered (an A/B experiment picks one per user).
    if (prepared.prompt !== undefined)
      exchange.context.setHeader?.(
        'x-prompt-version',
        `${prepared.prompt.id}@${prepared.prompt.version}`,
      );
    exchange.alias = prepared.route.alias;
    exchange.route = prepared.route;
    exchange.streamed = !whole;
    const lookup = await this.#deps.cache?.lookup(exchange, prepared);
    if (lookup !== undefined) {
      exchange.cache = lookup.result;
      context.setHeader?.('x-cache', lookup.result);
    }
    await this.#reserve(exchange);
    // A stage may have changed the route (a budget's Degrade): the call takes the exchange's.
    const current = exchange.prepared ?? prepared;
    return { prepared: current, chunks: this.#call(exchange, current, whole, lookup) };
  }

  /**
   * A chat answer collected whole: the same stages as `stream`, with the providers that have
   * a non-streamed call answering in one (see `Router.stream`).
   */
  async complete(context: RequestContext, input: InferenceInput): Promise<Completion> {
    const { prepared, chunks } = await this.#open(context, input, true);
    let text = '';
    // The text chunks' tokens, when they carry them: those of every target of a continued
    // answer (`Continue`), where the last chunk has only its own target's.
    let logprobs: TokenLogprob[] | undefined;
    for await (const chunk of chunks) {
      if (chunk.type === 'text') {
        text += chunk.text;
        if (chunk.logprobs !== undefined) (logprobs ??= []).push(...chunk.logprobs);
      } else
        return { prepared, text, done: logprobs === undefined ? chunk : { ...chunk, logprobs } };
    }
    // #call throws rather than end without a done chunk.
    throw new Error('unreachable: the answer ended without its done chunk');
  }

  /**
   * Embeddings through the same stages: the input PII policy (not the sanitiser: the input is
   * not instructions to a model), then the route's chain on the targets whose provider embeds.
   */
  async embed(context: RequestContext, input: EmbeddingsInput): Promise<EmbeddingResult> {
    const exchange = await this.#admit(context);
    exchange.alias = input.model;
    let texts: string[];
    let route;
    try {
      route = routeFor(this.#snapshot(exchange), input.model);
      const checked = this.#deps.safety.checkTexts(input.input, {
        tenant: context.tenant,
        route: input.model,
      });
      texts = checked.texts;
      exchange.findings = checked.findings;
    } catch (error) {
      return this.#refuse(exchange, error, NONE);
    }
    exchange.texts = texts;
    exchange.route = route;
    await this.#reserve(exchange);
    let result: EmbeddingResult;
    try {
      result = await this.#deps.router.call(
        route,
        (provider, target, signal) => {
          if (provider.embed === undefined) {
            throw new ApiError('BAD_REQUEST', `Model ${input.model} does not serve embeddings.`, {
              details: { model: input.model, target: target.name },
            });
          }
          const dimensions = input.dimensions === undefined ? {} : { dimensions: input.dimensions };
          return provider.embed({ model: target.model, input: texts, ...dimensions }, signal);
        },
        exchange.signal,
        routeEvents(exchange, this.#deps.stages),
      );
    } catch (error) {
      await this.#finish(exchange, failed(error, exchange.signal, 0));
      throw error;
    }
    const usage = { inputTokens: result.inputTokens, outputTokens: 0, cachedTokens: 0 };
    await this.#finish(exchange, { kind: 'done', usage });
    return result;
  }

  /**
   * The snapshot the exchange's tenant is served from: a sandbox tenant's own (every alias on
   * the mock provider, config/sandbox.ts), told to the client in `x-sandbox: true`.
   */
  #snapshot(exchange: Exchange): ConfigSnapshot {
    const served = this.#deps.snapshot();
    const snapshot = snapshotFor(served, exchange.context.tenant);
    if (snapshot !== served) {
      exchange.sandbox = true;
      exchange.context.setHeader?.('x-sandbox', 'true');
    }
    return snapshot;
  }

  /** admit: a concurrency slot. */
  async #admit(context: RequestContext): Promise<Admitted> {
    const startedAt = performance.now();
    const deadline = withDeadline(context.signal, context.deadlineMs);
    let releaseSlot: () => void;
    try {
      releaseSlot = await this.#deps.semaphore.acquire(deadline.signal);
    } catch (error) {
      deadline.clear();
      throw error;
    }
    const release = () => {
      releaseSlot();
      deadline.clear();
    };
    return { context, signal: deadline.signal, startedAt, attempts: [], release };
  }

  /**
   * reserve: every stage's, started in order and awaited together (their round trips overlap);
   * the first refusal in stage order is the answer, and the stages that did reserve are settled.
   */
  async #reserve(exchange: Admitted): Promise<void> {
    const stages = this.#deps.stages;
    const results = await Promise.allSettled(
      stages.map(async (stage) => stage.reserve?.(exchange)),
    );
    const refusal = results.find((result) => result.status === 'rejected');
    if (refusal === undefined) return;
    const reserved = new Set(stages.filter((_, index) => results[index]?.status === 'fulfilled'));
    await this.#refuse(exchange, refusal.reason, reserved);
  }

  /** A request refused before the call: settled by the stages that reserved, then rethrown. */
  async #refuse(
    exchange: Admitted,
    error: unknown,
    reserved: ReadonlySet<PipelineStage>,
  ): Promise<never> {
    const found = refusalFindings(error);
    if (found !== undefined) exchange.findings = found;
    await this.#finish(exchange, failed(error, exchange.signal, 0), reserved);
    throw error;
  }

  /** call and filter output; settle before the terminal chunk or error leaves, record after. */
  async *#call(
    exchange: Admitted,
    prepared: Prepared,
    whole: boolean,
    lookup: CacheLookup | undefined,
  ): AsyncIterable<Chunk> {
    const { signal } = exchange;
    const filter = this.#deps.safety.outputFilter({
      tenant: exchange.context.tenant,
      route: prepared.route.alias,
    });
    let finished = false;
    let outputChars = 0;
    // What the provider said, before the output filter: kept for the cache on a miss.
    const kept = lookup === undefined || lookup.result === 'HIT' ? undefined : ([] as string[]);
    try {
      const events = routeEvents(exchange, this.#deps.stages);
      const chunks =
        lookup?.result === 'HIT'
          ? replay(lookup.answer)
          : this.#deps.router.stream(prepared.route, prepared.request, signal, events, {
              whole,
              affinity: exchange.context.session,
            });
      for await (const chunk of chunks) {
        if (chunk.type === 'text') {
          kept?.push(chunk.text);
          outputChars += chunk.text.length;
          const text = filter === undefined ? chunk.text : filter.push(chunk.text);
          if (text !== '') {
            exchange.observeOutput?.(text);
            yield text === chunk.text ? chunk : { type: 'text', text };
          }
          continue;
        }
        const rest = filter?.flush() ?? '';
        if (rest !== '') {
          exchange.observeOutput?.(rest);
          yield { type: 'text', text: rest };
        }
        finished = true;
        if (kept !== undefined && lookup !== undefined)
          this.#deps.cache?.keep(lookup, { texts: kept, done: chunk });
        const toolCalls =
          chunk.toolCalls === undefined || filter === undefined
            ? chunk.toolCalls
            : filter.toolCalls(chunk.toolCalls);
        outputFound(exchange, filter);
        await this.#finish(exchange, {
          kind: 'done',
          usage: chunk.usage,
          finishReason: chunk.finishReason,
        });
        const { degradedFrom } = exchange;
        yield {
          ...chunk,
          ...(toolCalls === undefined ? {} : { toolCalls }),
          ...(degradedFrom === undefined ? {} : { degradedFrom }),
        };
        return;
      }
      throw new ApiError(
        'UPSTREAM_UNAVAILABLE',
        'The provider ended the stream without finishing.',
      );
    } catch (error) {
      // What the filter held back was produced and is owed to the client, redacted.
      const rest = filter?.flush() ?? '';
      if (rest !== '') {
        exchange.observeOutput?.(rest);
        yield { type: 'text', text: rest };
      }
      if (!finished) {
        finished = true;
        outputFound(exchange, filter);
        await this.#finish(exchange, failed(error, signal, outputChars));
      }
      throw error;
    } finally {
      if (!finished) {
        outputFound(exchange, filter);
        await this.#finish(exchange, { kind: 'cancelled', outputChars });
      }
    }
  }

  /**
   * settle (the stages that reserved) and seal (every stage), started in that order and
   * awaited together, so that their writes share a round trip; then release the slot and
   * record. Once per admitted request.
   */
  async #finish(
    exchange: Admitted,
    outcome: Outcome,
    reserved?: ReadonlySet<PipelineStage>,
  ): Promise<void> {
    const stages = this.#deps.stages;
    try {
      const settled = stages
        .filter((stage) => reserved === undefined || reserved.has(stage))
        .map(async (stage) => stage.settle?.(exchange, outcome));
      const sealed = stages.map(async (stage) => stage.seal?.(exchange, outcome));
      const results = await Promise.allSettled([...settled, ...sealed]);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    } finally {
      exchange.release();
      for (const stage of stages) stage.record?.(exchange, outcome);
    }
  }
}

/** What the output filter redacted, added to the exchange's findings before it is settled. */
function outputFound(exchange: Exchange, filter: OutputFilter | undefined): void {
  if (filter !== undefined)
    exchange.findings = sumFindings(exchange.findings ?? {}, filter.findings());
}

/** A kept answer as a provider's stream: its pieces, then its last chunk, all input cached. */
async function* replay(answer: CachedAnswer): AsyncIterable<Chunk> {
  for (const text of answer.texts) yield { type: 'text', text };
  const { usage } = answer.done;
  yield { ...answer.done, usage: { ...usage, cachedTokens: usage.inputTokens } };
}

/** No stage reserved (a refusal in `prepare`). */
const NONE: ReadonlySet<PipelineStage> = new Set();

/**
 * How a call that threw ended: `cancelled` when the caller's signal was aborted by the caller
 * itself (a client that went away), `failed` otherwise (the provider, a refusal, the deadline,
 * a shutdown), with the error in the vocabulary.
 */
function failed(error: unknown, signal: AbortSignal, outputChars: number): Outcome {
  const apiError = toApiError(signal.aborted ? signal.reason : error);
  if (signal.aborted && !ENDED_BY_GATEWAY.has(apiError.code))
    return { kind: 'cancelled', outputChars };
  return { kind: 'failed', error: apiError, outputChars };
}

/** Why the gateway (not the caller) aborts a call: its deadlines and its shutdown. */
const ENDED_BY_GATEWAY: ReadonlySet<string> = new Set(['DEADLINE_EXCEEDED', 'SHUTTING_DOWN']);
