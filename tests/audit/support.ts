/**
 * The audit tests' contract (routes, budgets, prices, PII blocking) and helpers that read a
 * gateway's receipts back through its export API.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import type { ChainEntry, ExportLine } from '../../dataplane/src/audit/chain.ts';
import { parseExport } from '../../dataplane/src/audit/parse.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

export const SLOW_STREAM = 'echo?gapMs=40&chunks=100';

const priced = (model: string): Price => ({
  provider: 'mock',
  model,
  effectiveFrom: '2026-01-01T00:00:00Z',
  input: '1',
  output: '2',
});
export const prices = [
  priced('echo'),
  priced('fail?code=UPSTREAM_UNAVAILABLE'),
  priced(SLOW_STREAM),
];

export const routes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    {
      alias: 'fallback',
      targets: [
        { name: 'broken', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' },
        { name: 'echo', provider: 'mock', model: 'echo' },
      ],
      retry: { maxAttempts: 1 },
    },
    { alias: 'long', targets: [{ name: 'long', provider: 'mock', model: SLOW_STREAM }] },
    {
      alias: 'keyed',
      targets: [
        {
          name: 'keyed',
          provider: 'mock',
          model: 'echo',
          credentials: { secretKeyRef: { name: 'vault', key: 'api-key' } },
        },
      ],
    },
  ],
};

/** The credential of route `keyed`: no receipt, intent or decision config may hold it. */
export const CREDENTIAL = 'sk-live-4f9c2e7d1b8a6350';

export const budgets = {
  budgets: [
    { tenant: 'broke', limits: { costUSD: '0' } },
    { tenant: 'still', limits: { requestsPerMinute: 0 } },
    { tenant: 'short', limits: { costUSD: '1' }, auditRetentionDays: 30 },
  ],
};

/** A contract for the audit tests: input PII is blocked, so a refusal by safety is easy. */
export async function auditConfig(gateway: object = {}): Promise<ConfigDir> {
  const config = await makeConfigDir({
    routes,
    gateway: { safety: { pii: 'block' }, ...gateway },
  });
  await config.write('budgets.yaml', budgets);
  await config.write('credentials/vault__api-key', CREDENTIAL);
  await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
  return config;
}

/** The raw NDJSON export of a tenant's chain (an admin token reads any tenant). */
export async function exportText(
  app: FastifyInstance,
  config: ConfigDir,
  tenant: string,
  query = '',
): Promise<string> {
  const response = await app.inject({
    url: `/api/v1/audit/export?tenant=${tenant}${query}`,
    headers: {
      authorization: `Bearer ${await config.token({ tenant: 'auditor' })}`,
      'x-request-id': `export-${tenant}`,
    },
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('application/x-ndjson');
  return response.body;
}

export function linesOf(text: string): ExportLine[] {
  const parsed = parseExport(text);
  if (!parsed.ok) throw new Error(`line ${parsed.line}: ${parsed.reason}`);
  return parsed.lines;
}

export function receiptsOf(text: string): Record<string, unknown>[] {
  return linesOf(text)
    .filter((line): line is ChainEntry => line.type === 'receipt')
    .map((line) => line.receipt);
}

/** The receipt of one request id in the tenant's chain. */
export async function receiptFor(
  app: FastifyInstance,
  config: ConfigDir,
  tenant: string,
  requestId: string,
): Promise<Record<string, unknown>> {
  const found = receiptsOf(await exportText(app, config, tenant)).filter(
    (receipt) => receipt['request_id'] === requestId,
  );
  expect(found).toHaveLength(1);
  return found[0] ?? {};
}

export async function verify(app: FastifyInstance, config: ConfigDir, ndjson: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/audit/verify',
    headers: {
      authorization: `Bearer ${await config.token({ tenant: 'auditor', scopes: ['audit:read'] })}`,
      'content-type': 'application/x-ndjson',
      'x-request-id': 'verify',
    },
    payload: ndjson,
  });
  expect(response.statusCode).toBe(200);
  return response.json<Record<string, unknown>>();
}
