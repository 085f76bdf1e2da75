import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { nanoToUsd, periodAt, usdToNano } from '../../../crds/budget-period.ts';
import type { Services } from '../engine/services.ts';
import { ApiError } from '../errors/api-error.ts';
import { principalOf } from './auth.ts';
import { errorResponses, RequestIdHeader } from './schemas.ts';

const Amounts = Type.Object({
  cost_usd: Type.Optional(Type.String()),
  tokens: Type.Optional(Type.Integer()),
});

const Usage = Type.Object({
  tenant: Type.String(),
  period: Type.Object({
    kind: Type.String(),
    id: Type.String(),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
  }),
  limits: Type.Object({
    cost_usd: Type.Optional(Type.String()),
    tokens: Type.Optional(Type.Integer()),
    requests_per_minute: Type.Optional(Type.Integer()),
    concurrent_streams: Type.Optional(Type.Integer()),
  }),
  spent: Amounts,
  reserved: Amounts,
  remaining: Amounts,
});

/**
 * `GET /api/v1/tenants/{tenant}/usage` (scope `usage:read`): the tenant's spend in the current
 * period against its limits. A tenant reads only its own; a tenant without a budget is a 404.
 */
export const usagePlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/api/v1/tenants/:tenant/usage',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: "The tenant's spend and what is left of each limit in the current period.",
        tags: ['budgets'],
        headers: RequestIdHeader,
        params: Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 253 }) }),
        response: { 200: Usage, ...errorResponses },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      if (principalOf(request).tenant !== tenant) {
        throw new ApiError('FORBIDDEN', 'A tenant reads only its own usage.', {
          details: { tenant },
        });
      }
      const budget = services.snapshot().budgets.get(tenant);
      if (budget === undefined) {
        throw new ApiError('NOT_FOUND', `Tenant ${tenant} has no budget.`, { details: { tenant } });
      }
      const period = budget.period ?? 'monthly';
      const window = periodAt(period, Date.now());
      let spend;
      try {
        spend = await services.budgets.spend(tenant, window);
      } catch (error) {
        throw new ApiError('BUDGET_UNAVAILABLE', 'The budget store cannot be reached.', {
          retryAfterS: 1,
          cause: error,
        });
      }
      const { costUSD, tokens, requestsPerMinute, concurrentStreams } = budget.limits;
      const costLimit = costUSD === undefined ? undefined : usdToNano(costUSD);
      return {
        tenant,
        period: {
          kind: period,
          id: window.id,
          start: new Date(window.start).toISOString(),
          end: new Date(window.end).toISOString(),
        },
        limits: {
          ...(costLimit === undefined ? {} : { cost_usd: nanoToUsd(costLimit) }),
          ...(tokens === undefined ? {} : { tokens }),
          ...(requestsPerMinute === undefined ? {} : { requests_per_minute: requestsPerMinute }),
          ...(concurrentStreams === undefined ? {} : { concurrent_streams: concurrentStreams }),
        },
        spent: { cost_usd: nanoToUsd(spend.cost), tokens: spend.tokens },
        reserved: { cost_usd: nanoToUsd(spend.heldCost), tokens: spend.heldTokens },
        remaining: {
          ...(costLimit === undefined
            ? {}
            : { cost_usd: nanoToUsd(Math.max(0, costLimit - spend.cost - spend.heldCost)) }),
          ...(tokens === undefined
            ? {}
            : { tokens: Math.max(0, tokens - spend.tokens - spend.heldTokens) }),
        },
      };
    },
  );
};
