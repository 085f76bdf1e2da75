import type { TokenLogprob, TokenProbability } from '../../core/types.ts';

/** A token's log-probability as OpenAI-format services write it. */
interface WireTokenProbability {
  token: string;
  logprob: number;
  bytes?: readonly number[] | null;
}

/** A choice's `logprobs` (whole, or a chunk's share): content tokens, or a refusal's. */
export interface WireLogprobs {
  content?:
    | readonly (WireTokenProbability & {
        top_logprobs?: readonly WireTokenProbability[] | null;
      })[]
    | null;
  refusal?:
    | readonly (WireTokenProbability & {
        top_logprobs?: readonly WireTokenProbability[] | null;
      })[]
    | null;
}

/**
 * A choice's log-probabilities in our shape: its content tokens, then a refusal's (whose text
 * becomes the answer's, see completion.ts), in order. Undefined when it carries none.
 */
export function decodeLogprobs(wire: WireLogprobs | null | undefined): TokenLogprob[] | undefined {
  if (wire == null) return undefined;
  const tokens = [...(wire.content ?? []), ...(wire.refusal ?? [])];
  if (tokens.length === 0 && wire.content == null && wire.refusal == null) return undefined;
  return tokens.map((token) => ({
    ...probability(token),
    topLogprobs: (token.top_logprobs ?? []).map(probability),
  }));
}

function probability(token: WireTokenProbability): TokenProbability {
  return {
    token: token.token,
    logprob: token.logprob,
    bytes: token.bytes == null ? null : [...token.bytes],
  };
}
