import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../errors/api-error.ts';
import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.ts';
import type { Chunk, TokenLogprob } from '../../core/types.ts';
import type { EmbeddingRequest, EmbeddingResult, Provider, ProviderRequest } from '../provider.ts';
import { jsonAnswer } from './json-answer.ts';
import { mockToolCall } from './tool-call.ts';

/**
 * The built-in deterministic provider. Its model id is a behaviour with options:
 * - `echo` answers "Echo: <last user message>", one word per chunk;
 * - `fixed?text=...` answers the given text;
 * - `fail?code=UPSTREAM_UNAVAILABLE` fails before the first chunk;
 * - `echo?failAfter=3` fails after three chunks; `stall` never answers.
 * Options for every behaviour: `firstMs` (wait before the first chunk), `gapMs` (between
 * chunks), `chunks` (repeat the answer's words up to this many chunks). A request's `prefix`
 * (mid-stream Continue) skips the words it already holds. Where it must call a tool
 * (`tool_choice` required or named) it calls one, with an example of its schema as arguments
 * (tool-call.ts), and answers nothing else. Under a JSON `response_format` its answer is JSON,
 * in one chunk (json-answer.ts). Its answer is certain, so with
 * `logprobs` each word is a token of log-probability 0, the only one of its distribution (the
 * one alternative `top_logprobs` can list). Embeddings are hash-derived unit vectors
 * (`fail?code=...` fails them too).
 */
export function createMockProvider(): Provider {
  return {
    name: 'mock',
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      const { behaviour, options } = parseMockModel(request.model);
      // Its answers are fixed by its model id, so a seed holds trivially; a JSON format gets
      // its text answer as JSON, or is refused by name (json-answer.ts).
      const json = jsonAnswer(
        request.responseFormat,
        answerWords(behaviour, options, request).join(' '),
      );
      const firstMs = numberOption(options, 'firstMs');
      if (firstMs > 0) await sleep(firstMs, undefined, { signal });
      if (behaviour === 'stall') {
        await sleep(2 ** 31 - 1, undefined, { signal });
      }
      if (behaviour === 'fail') throw upstreamError(options.get('code') ?? 'UPSTREAM_UNAVAILABLE');
      const call = mockToolCall(request);
      if (call !== undefined) {
        yield {
          type: 'done',
          finishReason: 'tool_calls',
          usage: { inputTokens: countInputTokens(request), outputTokens: 1, cachedTokens: 0 },
          toolCalls: [call],
        };
        return;
      }
      const words = json === undefined ? answerWords(behaviour, options, request) : [json];
      const limit = Math.min(words.length, request.maxTokens ?? Number.POSITIVE_INFINITY);
      const failAfter = options.has('failAfter') ? numberOption(options, 'failAfter') : -1;
      const gapMs = numberOption(options, 'gapMs');
      // A continuation (mid-stream Continue) skips the words the prefix already holds.
      const skip = countWords(request.prefix ?? '');
      const logprobs: TokenLogprob[] = [];
      for (const [index, word] of words.slice(0, limit).entries()) {
        if (index < skip) continue;
        if (index - skip === failAfter) throw upstreamError('UPSTREAM_UNAVAILABLE');
        if (index > skip && gapMs > 0) await sleep(gapMs, undefined, { signal });
        signal.throwIfAborted();
        const text = index === 0 ? word : ` ${word}`;
        if (request.logprobs === undefined) {
          yield { type: 'text', text };
          continue;
        }
        const token = certain(text, request.logprobs.topLogprobs);
        logprobs.push(token);
        yield { type: 'text', text, logprobs: [token] };
      }
      yield {
        type: 'done',
        finishReason: limit < words.length ? 'length' : 'stop',
        usage: {
          inputTokens: countInputTokens(request),
          outputTokens: Math.max(0, limit - skip),
          cachedTokens: 0,
        },
        ...(request.logprobs === undefined ? {} : { logprobs }),
      };
    },
    /** Deterministic unit vectors from a hash of each input (`dimensions`, default 8). */
    embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult> {
      signal.throwIfAborted();
      const { behaviour, options } = parseMockModel(request.model);
      if (behaviour === 'fail')
        return Promise.reject(upstreamError(options.get('code') ?? 'UPSTREAM_UNAVAILABLE'));
      const size = request.dimensions ?? 8;
      const vectors = request.input.map((text) => {
        const bytes = createHash('sha512').update(text).digest();
        const raw = Array.from(
          { length: size },
          (_, index) => (bytes[index % bytes.length] ?? 0) / 127.5 - 1,
        );
        const norm = Math.hypot(...raw) || 1;
        return raw.map((value) => value / norm);
      });
      const inputTokens = request.input.reduce((sum, text) => sum + countWords(text), 0);
      return Promise.resolve({ vectors, inputTokens });
    },
  };
}

/** A token the mock was sure of: log-probability 0, its only alternative itself. */
function certain(text: string, top: number): TokenLogprob {
  const token = { token: text, logprob: 0, bytes: [...Buffer.from(text, 'utf8')] };
  return { ...token, topLogprobs: top > 0 ? [token] : [] };
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

export function parseMockModel(model: string): { behaviour: string; options: URLSearchParams } {
  const [behaviour = '', query = ''] = model.split('?', 2);
  return { behaviour, options: new URLSearchParams(query) };
}

function answerWords(
  behaviour: string,
  options: URLSearchParams,
  request: ProviderRequest,
): string[] {
  const lastUser = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
  const text = behaviour === 'fixed' ? (options.get('text') ?? '') : `Echo: ${lastUser}`;
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  const chunks = options.has('chunks') ? numberOption(options, 'chunks') : words.length;
  if (words.length === 0) return [];
  return Array.from({ length: chunks }, (_, index) => words[index % words.length] ?? '');
}

function countInputTokens(request: ProviderRequest): number {
  return request.messages.reduce((sum, message) => sum + message.content.split(/\s+/).length, 0);
}

function numberOption(options: URLSearchParams, name: string): number {
  const value = Number(options.get(name) ?? 0);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

function upstreamError(code: string): ApiError {
  const known = (ERROR_CODES as readonly string[]).includes(code);
  const errorCode = (known ? code : 'UPSTREAM_UNAVAILABLE') as ErrorCode;
  return new ApiError(errorCode, `The mock provider failed with ${errorCode} as configured.`, {
    ...(errorCode === 'UPSTREAM_RATE_LIMITED' ? { retryAfterS: 1 } : {}),
  });
}
