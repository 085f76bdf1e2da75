import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { InferenceModelSpec } from './inference-model.ts';
import { MCPGatewaySpec } from './mcp-gateway.ts';
import { ProviderRouteSpec } from './provider-route.ts';
import { TenantBudgetSpec } from './tenant-budget.ts';

// The defaults the API server applies, as TypeBox applies them to the same schemas.
describe('defaults', () => {
  it('an InferenceModel is fp32, one replica, headroom 1.3, rolled out Auto', () => {
    const spec = {
      runtime: 'onnx',
      source: { uri: 'hf://org/model', checksum: `sha256:${'a'.repeat(64)}` },
      modelBytes: 1024,
      version: 'v1',
    };
    expect(Value.Default(InferenceModelSpec, spec)).toMatchObject({
      quantization: 'fp32',
      replicas: 1,
      headroomFactor: 1.3,
      rollout: { strategy: 'Auto' },
    });
    expect(Value.Check(InferenceModelSpec, spec)).toBe(true);
  });

  it('a ProviderRoute retries twice from 200 ms to 5 s, opens after 5 failures for 30 s, shares by weight', () => {
    const spec = { alias: 'chat', targets: [{ name: 'a', provider: 'mock', model: 'echo' }] };
    expect(Value.Default(ProviderRouteSpec, spec)).toEqual({
      alias: 'chat',
      targets: [{ name: 'a', provider: 'mock', model: 'echo', timeoutMs: 30000, weight: 1 }],
      retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 5000 },
      circuitBreaker: { failureThreshold: 5, openMs: 30000 },
      balance: 'Weighted',
      midStreamFailure: 'Error',
    });
  });

  it('a TenantBudget is monthly, alerts at 50/80/100 %, rejects past its limit, fails closed and keeps receipts 90 days', () => {
    const spec = { tenant: 'acme', limits: { tokens: 1000 } };
    expect(Value.Default(TenantBudgetSpec, spec)).toEqual({
      tenant: 'acme',
      limits: { tokens: 1000 },
      period: 'monthly',
      alertThresholds: [50, 80, 100],
      failOpen: false,
      auditRetentionDays: 90,
      onExceed: { action: 'Reject' },
    });
  });

  it('a TenantBudget needs at least one limit', () => {
    expect(Value.Check(TenantBudgetSpec, { tenant: 'acme', limits: {} })).toBe(false);
  });

  it('a TenantBudget takes costUSD as a whole number or a decimal string, not a float', () => {
    const budget = (costUSD: unknown) => ({ tenant: 'acme', limits: { costUSD } });
    expect(Value.Check(TenantBudgetSpec, budget(100))).toBe(true);
    expect(Value.Check(TenantBudgetSpec, budget('12.50'))).toBe(true);
    expect(Value.Check(TenantBudgetSpec, budget(12.5))).toBe(false);
    expect(Value.Check(TenantBudgetSpec, budget('-1'))).toBe(false);
  });

  it('an MCPGateway is off, with a 300 ms fallback and streamable HTTP servers', () => {
    const spec = {
      servers: [{ name: 'docs', url: 'http://docs:8080/mcp' }],
      fallback: { route: 'chat' },
    };
    expect(Value.Default(MCPGatewaySpec, spec)).toEqual({
      enabled: false,
      servers: [
        {
          name: 'docs',
          url: 'http://docs:8080/mcp',
          transport: 'streamable-http',
          allowedTools: [],
          allowedPrompts: [],
          allowedResources: [],
          requiredScopes: [],
        },
      ],
      fallback: { route: 'chat', timeoutMs: 300 },
    });
  });

  it('refuses unknown fields, so a typo in the config contract is an error', () => {
    const spec = { alias: 'chat', targets: [{ name: 'a', provider: 'mock', modle: 'echo' }] };
    expect(Value.Check(ProviderRouteSpec, spec)).toBe(false);
  });
});
