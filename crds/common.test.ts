import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERRORS } from '../dataplane/src/core/error-codes.ts';
import { kindFileName } from './common.ts';
import { FALLBACK_ERROR_CODES } from './provider-route.ts';

describe('kindFileName', () => {
  it.each([
    ['InferenceModel', 'inference-model'],
    ['MCPGateway', 'mcp-gateway'],
    ['TenantBudget', 'tenant-budget'],
  ])('names %s %s', (kind, file) => {
    expect(kindFileName(kind)).toBe(file);
  });
});

describe('fallbackOn', () => {
  it('offers only codes of the error vocabulary that allow a fallback', () => {
    for (const code of FALLBACK_ERROR_CODES) {
      expect(ERROR_CODES).toContain(code);
      expect(ERRORS[code].fallback, code).toBe(true);
    }
  });
});
