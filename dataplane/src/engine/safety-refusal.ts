import { ApiError } from '../errors/api-error.ts';
import type { Findings } from '../stages/context.ts';

/**
 * A `CONTENT_BLOCKED` refusal by input safety, carrying what was found up to the refusal, the
 * blocking kinds included (counts only): a blocked request is counted in metrics, traces and
 * its audit receipt as a passed one is. The client gets the refusal as it was (code, message,
 * details), never the counts.
 */
export class SafetyRefusal extends ApiError {
  readonly findings: Findings;

  constructor(refusal: ApiError, findings: Findings) {
    super(
      refusal.code,
      refusal.message,
      refusal.details === undefined ? {} : { details: refusal.details },
    );
    this.findings = findings;
  }
}

/** The findings a refusal carries, when input safety refused. */
export function refusalFindings(error: unknown): Findings | undefined {
  return error instanceof SafetyRefusal ? error.findings : undefined;
}
