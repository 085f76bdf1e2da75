/** TenantBudget: what one tenant may spend per calendar period, and what happens beyond it. */
import { Type, type Static } from '@sinclair/typebox';
import {
  cel,
  Conditions,
  IntOrString,
  MODEL_ALIAS,
  ObservedGeneration,
  StringEnum,
  Struct,
  type KindDescriptor,
  type Resource,
} from './common.ts';

export const TENANT_BUDGET_CONDITIONS = ['Ready', 'WithinBudget'] as const;

/** A non-negative USD amount as a decimal string with at most 6 fractional digits. */
export const USD_DECIMAL = '^(0|[1-9][0-9]*)(\\.[0-9]{1,6})?$';

export const TenantBudgetSpec = Struct(
  {
    tenant: Type.String({
      minLength: 1,
      maxLength: 253,
      description: 'Tenant the budget applies to, as carried by the caller token.',
    }),
    period: Type.Optional(
      StringEnum(['daily', 'weekly', 'monthly'], {
        default: 'monthly',
        description:
          'Calendar period the limits apply to, in UTC: a day, an ISO week from Monday, or a month.',
      }),
    ),
    limits: Struct(
      {
        costUSD: Type.Optional(
          IntOrString({
            pattern: USD_DECIMAL,
            minimum: 0,
            description:
              'Most the tenant may spend per period, in US dollars: a whole number or a decimal string such as "25.50".',
          }),
        ),
        tokens: Type.Optional(
          Type.Integer({
            format: 'int64',
            minimum: 0,
            description: 'Most input plus output tokens per period.',
          }),
        ),
        requestsPerMinute: Type.Optional(
          Type.Integer({
            format: 'int32',
            minimum: 0,
            description: 'Most requests per rolling minute.',
          }),
        ),
        concurrentStreams: Type.Optional(
          Type.Integer({
            format: 'int32',
            minimum: 0,
            description: 'Most streams open at once.',
          }),
        ),
      },
      {
        minProperties: 1,
        description: 'Limits per period; set at least one. An unset limit is unlimited.',
      },
    ),
    alertThresholds: Type.Optional(
      Type.Array(
        Type.Integer({
          minimum: 1,
          maximum: 100,
          description: 'Percentage of a limit.',
        }),
        {
          maxItems: 10,
          default: [50, 80, 100],
          description:
            'Percentages of each limit at which an alert Event is emitted, strictly ascending within 1..100.',
          ...cel({
            rule: 'self.isSorted() && self.all(x, self.exists_one(y, y == x))',
            message: 'alertThresholds must be strictly ascending.',
          }),
        },
      ),
    ),
    failOpen: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Serve requests unmetered while the budget store (Redis) is unreachable; by default they are refused with 503 BUDGET_UNAVAILABLE.',
      }),
    ),
    auditRetentionDays: Type.Optional(
      Type.Union([Type.Literal(30), Type.Literal(90), Type.Literal(180)], {
        default: 90,
        description:
          "Days the tenant's audit receipts are kept (30, 90 or 180); a signed checkpoint anchors the chain where older receipts were trimmed (docs/audit.md).",
      }),
    ),
    onExceed: Type.Optional(
      Struct(
        {
          action: Type.Optional(
            StringEnum(['Reject', 'Degrade'], {
              default: 'Reject',
              description:
                'Reject refuses requests with BUDGET_EXCEEDED; Degrade serves them from the cheaper alias degradeTo.',
            }),
          ),
          degradeTo: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 63,
              pattern: MODEL_ALIAS,
              description:
                'ProviderRoute alias to serve from once a limit is exceeded. Only with Degrade.',
            }),
          ),
        },
        {
          default: {},
          description: 'What happens to requests once a limit is exceeded.',
          ...cel({
            rule: "(has(self.action) && self.action == 'Degrade') == has(self.degradeTo)",
            message: 'degradeTo is required when action is Degrade, and allowed only then.',
            fieldPath: '.degradeTo',
          }),
        },
      ),
    ),
  },
  { description: 'Desired state of the TenantBudget.' },
);
export type TenantBudgetSpec = Static<typeof TenantBudgetSpec>;

export const TenantBudgetStatus = Struct(
  {
    conditions: Type.Optional(Conditions(TENANT_BUDGET_CONDITIONS)),
    observedGeneration: Type.Optional(ObservedGeneration),
    periodStart: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Start of the current period (UTC, RFC 3339).',
      }),
    ),
    spentUSD: Type.Optional(
      Type.String({
        pattern: USD_DECIMAL,
        description: 'US dollars spent in the current period, as a decimal string.',
      }),
    ),
    spentTokens: Type.Optional(
      Type.Integer({
        format: 'int64',
        minimum: 0,
        description: 'Tokens spent in the current period.',
      }),
    ),
    remainingUSD: Type.Optional(
      Type.String({
        pattern: USD_DECIMAL,
        description: 'US dollars left in the current period; unset without a costUSD limit.',
      }),
    ),
  },
  { description: 'Observed state of the TenantBudget, written by the operator.' },
);
export type TenantBudgetStatus = Static<typeof TenantBudgetStatus>;

export type TenantBudget = Resource<'TenantBudget', TenantBudgetSpec, TenantBudgetStatus>;

export const tenantBudgetKind: KindDescriptor<typeof TenantBudgetSpec, typeof TenantBudgetStatus> =
  {
    kind: 'TenantBudget',
    plural: 'tenantbudgets',
    singular: 'tenantbudget',
    shortNames: ['tb', 'budget'],
    description:
      'TenantBudget sets per-tenant limits (cost, tokens, request rate, concurrent streams) for a UTC calendar period, alert thresholds, and what happens once a limit is exceeded.',
    conditionTypes: TENANT_BUDGET_CONDITIONS,
    printerColumns: [
      { name: 'Tenant', type: 'string', jsonPath: '.spec.tenant', description: 'Tenant.' },
      { name: 'Period', type: 'string', jsonPath: '.spec.period', description: 'Budget period.' },
      {
        name: 'Spent',
        type: 'string',
        jsonPath: '.status.spentUSD',
        description: 'USD spent this period.',
      },
      {
        name: 'Limit',
        type: 'string',
        jsonPath: '.spec.limits.costUSD',
        description: 'USD limit per period.',
      },
      {
        name: 'Within',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="WithinBudget")].status',
        description: 'WithinBudget condition.',
        priority: 1,
      },
    ],
    spec: TenantBudgetSpec,
    status: TenantBudgetStatus,
  };
