import { Type } from '@sinclair/typebox';
import { MCPGatewaySpec } from '../../../crds/mcp-gateway.ts';
import { ProviderRouteSpec } from '../../../crds/provider-route.ts';
import { TenantBudgetSpec } from '../../../crds/tenant-budget.ts';

/**
 * The config contract (DESIGN §4): the files the operator renders and the dataplane reads.
 * Prompt manifests are `prompts/*.yaml`; the credential a target names with
 * `secretKeyRef: {name, key}` is the file `credentials/<name>__<key>` (flat, so that one Secret
 * the operator owns can hold every credential: a Secret name has no `_`, so the split is exact).
 */
export const CONTRACT_FILES = {
  gateway: 'gateway.yaml',
  routes: 'routes.yaml',
  budgets: 'budgets.yaml',
  /** Prices per provider model (crds/pricing.ts); optional: without it nothing has a price. */
  pricing: 'pricing.yaml',
  /** The MCP gateways (`McpFile`, docs/mcp.md); optional: without it MCP is off. */
  mcp: 'mcp.yaml',
  jwks: 'keys/jwks.json',
  resumeKeys: 'keys/resume.json',
  /** The audit trail's checkpoint keys and content key (`AuditKeysFile`); optional. */
  auditKeys: 'keys/audit.json',
  /** The serving certificate chain, its key and the client CA bundle (cert-manager's layout). */
  tlsCertificate: 'tls/tls.crt',
  tlsKey: 'tls/tls.key',
  tlsCa: 'tls/ca.crt',
} as const;

export const PROMPTS_PREFIX = 'prompts/';
export const CREDENTIALS_PREFIX = 'credentials/';

/** The file that holds the credential of a `secretKeyRef`. */
export const credentialFile = (ref: { name: string; key: string }) =>
  `${CREDENTIALS_PREFIX}${ref.name}__${ref.key}`;

export const RoutesFile = Type.Object(
  { routes: Type.Array(ProviderRouteSpec, { default: [] }) },
  { additionalProperties: false },
);

export const BudgetsFile = Type.Object(
  { budgets: Type.Array(TenantBudgetSpec, { default: [] }) },
  { additionalProperties: false },
);

/**
 * `mcp.yaml`: `enabled` is the deployment's switch (the chart's `mcp.enabled`); a gateway
 * serves only when it is true and the gateway's own `spec.enabled` is too.
 */
export const McpFile = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /**
     * How often the dataplane asks each enabled gateway's servers whether they answer and how
     * many allowed tools they list, for the operator's MCPGateway status (crds/mcp-status.ts);
     * unset: it never asks (a contract written by hand, the tests that count upstream calls).
     */
    statusIntervalS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    /**
     * Origins (`https://app.example.com`) whose browser pages may call the MCP endpoints,
     * besides the gateway's own; a request from any other Origin is a 403 (DNS rebinding).
     */
    allowedOrigins: Type.Array(
      Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://[^/]+$' }),
      {
        default: [],
        maxItems: 64,
      },
    ),
    gateways: Type.Array(
      Type.Object(
        {
          name: Type.String({
            minLength: 1,
            maxLength: 253,
            pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          }),
          spec: MCPGatewaySpec,
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false },
);

export const Jwks = Type.Object(
  {
    keys: Type.Array(Type.Object({ kty: Type.String() }, { additionalProperties: true }), {
      minItems: 1,
    }),
  },
  { additionalProperties: false },
);

/** `keys/resume.json`: `active` signs new resume tokens; every key verifies during the overlap. */
export const ResumeKeysFile = Type.Object(
  {
    active: Type.String({ minLength: 1 }),
    keys: Type.Array(
      Type.Object(
        {
          kid: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
          secret: Type.String({ minLength: 43, description: 'base64url of at least 32 bytes' }),
          createdAt: Type.Optional(
            Type.String({
              description: 'When the operator published the key (rotation bookkeeping).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

/**
 * `keys/audit.json`: the Ed25519 keys that sign audit checkpoints (`active` signs; the others
 * are published but not yet signing, or no longer), the public keys of retired signers (kept
 * as long as receipts they anchor may be retained), and the key that `content_sha` digests
 * are keyed with per tenant (never rotated: it would unlink old digests from new ones).
 */
export const AuditKeysFile = Type.Object(
  {
    active: Type.String({ minLength: 1 }),
    keys: Type.Array(
      Type.Object(
        {
          kid: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
          privateKey: Type.String({ minLength: 16, description: 'base64url PKCS#8 DER, Ed25519' }),
          createdAt: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    retired: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kid: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            publicKey: Type.String({ minLength: 16, description: 'base64url SPKI DER, Ed25519' }),
            retiredAt: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    contentKey: Type.String({ minLength: 43, description: 'base64url of at least 32 bytes' }),
  },
  { additionalProperties: false },
);
