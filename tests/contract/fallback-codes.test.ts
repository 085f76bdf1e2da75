// A ProviderRoute's `fallbackOn` names error codes; the dataplane must know each one and
// allow a fallback on it.
import { describe, expect, it } from 'vitest';
import { FALLBACK_ERROR_CODES } from '../../crds/provider-route.ts';
import { ERROR_CODES, ERRORS } from '../../dataplane/src/core/error-codes.ts';

describe('fallbackOn', () => {
  it('offers only codes of the error vocabulary that allow a fallback', () => {
    for (const code of FALLBACK_ERROR_CODES) {
      expect(ERROR_CODES).toContain(code);
      expect(ERRORS[code].fallback, code).toBe(true);
    }
  });
});
