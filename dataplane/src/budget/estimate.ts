import type { ChatMessage } from '../core/types.ts';

/**
 * Input tokens of a request, estimated before the call for its reservation: the UTF-8 bytes
 * of every message's text and tool arguments, over three, rounded up. Tokenizers of the
 * models behind a route differ (and are not all public); three bytes a token over-counts
 * every tokenizer we serve for English and most other text, so a reservation errs high, and
 * settlement charges what the provider reports.
 */
export function estimateInputTokens(messages: readonly ChatMessage[]): number {
  let bytes = 0;
  for (const message of messages) {
    bytes += Buffer.byteLength(message.content) + 4;
    for (const call of message.toolCalls ?? []) bytes += Buffer.byteLength(call.arguments);
  }
  return Math.ceil(bytes / 3);
}
