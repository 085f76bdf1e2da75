import type { TokenLogprob } from '../../core/types.ts';
import type { ErrorCode } from '../../core/error-codes.ts';
import type { InferenceInput } from '../../core/inference-input.ts';

/** One item as stored: an inference request, with the client's `custom_id` when it sent one. */
export type BatchItem = InferenceInput & { custom_id?: string };

/** Where a batch is: `cancelling` until its in-flight items have finished. */
export type BatchStatus = 'in_progress' | 'completed' | 'cancelling' | 'cancelled';

/** The input format a batch came in; results can be read in either format. */
export type InputFormat = 'items' | 'openai';

/** A batch as its Redis hash holds it. */
export interface BatchRecord {
  id: string;
  tenant: string;
  taskId: string;
  status: BatchStatus;
  /** The batch-level default model alias, when the submit named one. */
  model: string | undefined;
  format: InputFormat;
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Items of this batch in the dead-letter queue now. */
  deadLetters: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  finishedAt: number | undefined;
}

/** The error of a failed item: the closed vocabulary, as every error body carries it. */
export interface ItemError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/** What an item produced, recorded exactly once (the wire shape of a native result). */
export type ItemResult =
  | {
      status: 'succeeded';
      custom_id?: string;
      attempts: number;
      /** Unix seconds. */
      finished_at: number;
      response: {
        id: string;
        model: string;
        output: { role: 'assistant'; content: string };
        finish_reason: string;
        usage: { input_tokens: number; output_tokens: number; cached_tokens: number };
        /**
         * The tokens' log-probabilities, when the item asked for them (an OpenAI input line's
         * `logprobs`): written into its OpenAI output line.
         */
        logprobs?: TokenLogprob[];
      };
    }
  | {
      status: 'failed';
      custom_id?: string;
      attempts: number;
      /** Unix seconds. */
      finished_at: number;
      error: ItemError;
    }
  | { status: 'cancelled'; custom_id?: string; attempts: number };

/** An item in the dead-letter queue, with its last error. */
export interface DeadLetter {
  batchId: string;
  index: number;
  tenant: string;
  taskId: string;
  customId: string | undefined;
  error: ItemError;
  attempts: number;
  /** Milliseconds since the epoch. */
  deadAt: number;
}

/** An item's address: `<batch id>:<index>`. Batch ids hold no `:`. */
export function refOf(batchId: string, index: number): string {
  return `${batchId}:${index}`;
}

export function parseRef(ref: string): { batchId: string; index: number } {
  const at = ref.lastIndexOf(':');
  return { batchId: ref.slice(0, at), index: Number(ref.slice(at + 1)) };
}

/** The BullMQ job id of an item (BullMQ refuses `:` in ids); the queue dedupes on it. */
export function jobIdOf(ref: string): string {
  return ref.replace(':', '-');
}

/**
 * The request id of an item's execution: the same on every attempt, so an upstream that
 * deduplicates on it sees one request, and logs of every attempt share it.
 */
export function itemRequestId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}
