import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canonicalJson } from '../../../../crds/canonical-json.ts';
import { toInferenceInput } from '../../formats/openai/input.ts';
import { ChatCompletionRequest } from '../../formats/openai/schemas.ts';
import type { InferenceInput } from '../../core/inference-input.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { BatchItem, InputFormat } from './types.ts';

/** One line of an OpenAI Batch input file (only chat completions are served). */
const OpenAIBatchLine = Type.Object(
  {
    custom_id: Type.String({ minLength: 1, maxLength: 512 }),
    method: Type.Literal('POST'),
    url: Type.Literal('/v1/chat/completions'),
    body: ChatCompletionRequest,
  },
  { additionalProperties: false },
);
type OpenAIBatchLine = Static<typeof OpenAIBatchLine>;
const checkLine = TypeCompiler.Compile(OpenAIBatchLine);

export interface SubmitInput {
  model?: string | undefined;
  items?: readonly BatchItem[] | undefined;
  jsonl?: string | undefined;
}

export interface NormalisedSubmit {
  items: BatchItem[];
  format: InputFormat;
  model: string | undefined;
  /** SHA-256 over the canonical JSON of what the batch will run: the idempotency fingerprint. */
  hash: string;
}

/**
 * A submit's items in one shape whatever its input format, with the fingerprint a reused
 * task id is compared by. Exactly one of `items` and `jsonl` must be set.
 */
export function normaliseSubmit(input: SubmitInput, maxItems: number): NormalisedSubmit {
  if ((input.items === undefined) === (input.jsonl === undefined)) {
    throw new ApiError('BAD_REQUEST', 'body must carry exactly one of items and jsonl', {
      details: { path: 'body.items' },
    });
  }
  const format: InputFormat = input.jsonl === undefined ? 'items' : 'openai';
  const items = input.jsonl === undefined ? [...(input.items ?? [])] : parseJsonl(input.jsonl);
  const path = format === 'items' ? 'body.items' : 'body.jsonl';
  if (items.length === 0) {
    throw new ApiError('BAD_REQUEST', `${path} holds no items`, { details: { path } });
  }
  if (items.length > maxItems) {
    throw new ApiError(
      'BAD_REQUEST',
      `${path} holds ${items.length} items; the limit is ${maxItems}`,
      {
        details: { path, limit: maxItems },
      },
    );
  }
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (item.custom_id === undefined) return;
    if (seen.has(item.custom_id)) {
      throw new ApiError('BAD_REQUEST', `custom_id ${item.custom_id} appears twice`, {
        details: { path: `${path}.${index}.custom_id` },
      });
    }
    seen.add(item.custom_id);
  });
  const model = input.model;
  const hash = createHash('sha256')
    .update(canonicalJson({ format, model: model ?? null, items }))
    .digest('hex');
  return { items, format, model, hash };
}

/** OpenAI Batch input: one JSON request per line; blank lines are skipped. */
export function parseJsonl(text: string): BatchItem[] {
  const items: BatchItem[] = [];
  text.split('\n').forEach((raw, at) => {
    const line = raw.trim();
    if (line === '') return;
    const number = at + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw lineError(number, 'is not valid JSON');
    }
    if (!checkLine.Check(value)) {
      const issue = checkLine.Errors(value).First();
      const where = issue === undefined ? '' : `${issue.path.replaceAll('/', '.')} `;
      throw lineError(number, `${where}${issue?.message ?? 'is invalid'}`.trim());
    }
    if (value.body.stream === true)
      throw lineError(number, 'asks for a stream; batches do not stream');
    items.push(fromOpenAI(value, number));
  });
  return items;
}

function lineError(line: number, reason: string): ApiError {
  return new ApiError('BAD_REQUEST', `body.jsonl line ${line} ${reason}`, {
    details: { path: 'body.jsonl', line },
  });
}

/**
 * An OpenAI chat completion request as a batch item, mapped exactly as the OpenAI-compatible
 * route maps it. Tool definitions ride on a prepared request, not on an item, so a line with
 * `tools` is refused.
 */
function fromOpenAI(line: OpenAIBatchLine, number: number): BatchItem {
  if (line.body.tools !== undefined || line.body.tool_choice !== undefined) {
    throw lineError(number, 'declares tools; batches do not serve tools yet');
  }
  let input: InferenceInput;
  try {
    input = toInferenceInput(line.body);
  } catch (error) {
    throw error instanceof ApiError ? lineError(number, `is invalid: ${error.message}`) : error;
  }
  // No parameters and empty parameters are one request: the idempotency fingerprint agrees.
  const { parameters, ...rest } = input;
  return {
    custom_id: line.custom_id,
    ...rest,
    ...(parameters === undefined || Object.keys(parameters).length === 0 ? {} : { parameters }),
  };
}
