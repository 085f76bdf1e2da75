import { describe, expect, it } from 'vitest';
import { kindFileName } from './common.ts';

describe('kindFileName', () => {
  it.each([
    ['InferenceModel', 'inference-model'],
    ['MCPGateway', 'mcp-gateway'],
    ['TenantBudget', 'tenant-budget'],
  ])('names %s %s', (kind, file) => {
    expect(kindFileName(kind)).toBe(file);
  });
});
