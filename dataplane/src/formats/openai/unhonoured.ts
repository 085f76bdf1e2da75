import { ApiError } from '../../errors/api-error.ts';

/**
 * Chat Completions fields the gateway does not honour yet, each with the values that ask for
 * nothing (what clients send as defaults). Any other value is refused naming the field, rather
 * than answered as if it had been honoured (docs/api-compat.md).
 */
const UNHONOURED: Readonly<Record<string, (value: unknown) => boolean>> = {
  logit_bias: (value) =>
    typeof value === 'object' && value !== null && Object.keys(value).length === 0,
  presence_penalty: (value) => value === 0,
  frequency_penalty: (value) => value === 0,
  modalities: (value) => Array.isArray(value) && value.length === 1 && value[0] === 'text',
  audio: () => false,
  prediction: () => false,
  reasoning_effort: () => false,
  web_search_options: () => false,
};

/** Refuses a field of `body` that asks for what the gateway does not do. */
export function refuseUnhonoured(body: Record<string, unknown>): void {
  for (const [field, asksNothing] of Object.entries(UNHONOURED)) {
    const value = body[field];
    if (value === undefined || value === null || asksNothing(value)) continue;
    throw new ApiError('BAD_REQUEST', `body.${field} is not supported by this gateway yet.`, {
      details: { path: `body.${field}` },
    });
  }
}

/** The fields `refuseUnhonoured` checks, for the compatibility doc's test. */
export const UNHONOURED_FIELDS = Object.keys(UNHONOURED);
