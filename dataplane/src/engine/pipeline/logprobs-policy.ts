import { ApiError } from '../../errors/api-error.ts';
import type { Safety } from './prepare.ts';

/**
 * Log-probabilities and an output filter do not go together: the filter rewrites the answer
 * (PII redaction) as it streams, and each token of the log-probabilities would still carry the
 * text it removed. A request for them where the gateway filters output is a BAD_REQUEST naming
 * `logprobs`, before any call; the tokens are never returned unfiltered.
 */
export function refuseLogprobsUnderOutputFilter(safety: Safety): void {
  if (safety.outputFilter() === undefined) return;
  throw new ApiError(
    'BAD_REQUEST',
    'logprobs cannot be returned while the gateway filters answers (safety.piiOutput): the tokens would carry the text the filter removes.',
    { details: { path: 'body.logprobs' } },
  );
}
