import { Type } from '@sinclair/typebox';
import type { TokenLogprob, TokenProbability } from '../../core/types.ts';

const WireTokenProbability = Type.Object({
  token: Type.String(),
  logprob: Type.Number(),
  bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
});

/** A choice's `logprobs` as OpenAI writes it: the content tokens, and no refusal tokens. */
export const ChoiceLogprobs = Type.Object({
  content: Type.Union([
    Type.Array(
      Type.Object({
        ...WireTokenProbability.properties,
        top_logprobs: Type.Array(WireTokenProbability),
      }),
    ),
    Type.Null(),
  ]),
  refusal: Type.Null(),
});

/**
 * Tokens' log-probabilities in OpenAI's shape (`choices[].logprobs`), or null when the request
 * asked for none. A refusal's tokens are content here, as its text is (formats/openai/output.ts).
 */
export function wireLogprobs(tokens: readonly TokenLogprob[] | undefined) {
  if (tokens === undefined) return null;
  return {
    content: tokens.map((token) => ({
      ...probability(token),
      top_logprobs: token.topLogprobs.map(probability),
    })),
    refusal: null,
  };
}

function probability({ token, logprob, bytes }: TokenProbability) {
  return { token, logprob, bytes };
}
