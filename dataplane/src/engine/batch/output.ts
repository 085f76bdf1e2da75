import { ERRORS } from '../../core/error-codes.ts';
import { wireLogprobs } from '../../formats/openai/logprobs.ts';
import { itemRequestId, type BatchRecord, type DeadLetter, type ItemResult } from './types.ts';

/** A batch as the API shows it. */
export function batchView(record: BatchRecord) {
  const finished = record.done + record.failed + record.cancelled;
  return {
    id: record.id,
    object: 'batch' as const,
    task_id: record.taskId,
    status: record.status,
    model: record.model ?? null,
    input_format: record.format,
    created_at: Math.floor(record.createdAt / 1000),
    finished_at: record.finishedAt === undefined ? null : Math.floor(record.finishedAt / 1000),
    request_counts: {
      total: record.total,
      succeeded: record.done,
      failed: record.failed,
      cancelled: record.cancelled,
      pending: Math.max(0, record.total - finished),
    },
    dead_letters: record.deadLetters,
  };
}
export type BatchView = ReturnType<typeof batchView>;

export function isFinished(record: BatchRecord): boolean {
  return record.status === 'completed' || record.status === 'cancelled';
}

/** A native result entry: the stored result with its index. */
export function resultView(index: number, result: ItemResult) {
  return { index, ...result };
}

/** A dead letter as the admin API shows it. */
export function deadLetterView(entry: DeadLetter) {
  return {
    batch_id: entry.batchId,
    index: entry.index,
    tenant: entry.tenant,
    task_id: entry.taskId,
    custom_id: entry.customId ?? null,
    error: entry.error,
    attempts: entry.attempts,
    dead_at: Math.floor(entry.deadAt / 1000),
  };
}

/**
 * One line of an OpenAI Batch output file. A request that ran has a `response` (with the
 * error body for a failure, as OpenAI writes it; with its tokens' log-probabilities when it
 * asked for them); one that never ran has an `error`.
 */
export function openAIOutputLine(batchId: string, index: number, result: ItemResult): string {
  const requestId = itemRequestId(batchId, index);
  const head = { id: `batch_req_${requestId}`, custom_id: result.custom_id ?? String(index) };
  switch (result.status) {
    case 'succeeded': {
      const { response } = result;
      const usage = response.usage;
      return JSON.stringify({
        ...head,
        response: {
          status_code: 200,
          request_id: requestId,
          body: {
            id: `chatcmpl-${requestId}`,
            object: 'chat.completion',
            created: result.finished_at,
            model: response.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: response.output.content, refusal: null },
                finish_reason: response.finish_reason,
                logprobs: wireLogprobs(response.logprobs),
              },
            ],
            usage: {
              prompt_tokens: usage.input_tokens,
              completion_tokens: usage.output_tokens,
              total_tokens: usage.input_tokens + usage.output_tokens,
              prompt_tokens_details: { cached_tokens: usage.cached_tokens },
            },
          },
        },
        error: null,
      });
    }
    case 'failed':
      return JSON.stringify({
        ...head,
        response: {
          status_code: ERRORS[result.error.code].status,
          request_id: requestId,
          body: {
            error: {
              message: result.error.message,
              type: result.error.code.toLowerCase(),
              code: result.error.code,
            },
          },
        },
        error: null,
      });
    case 'cancelled':
      return JSON.stringify({
        ...head,
        response: null,
        error: {
          code: 'batch_cancelled',
          message: 'The batch was cancelled before this request ran.',
        },
      });
  }
}
