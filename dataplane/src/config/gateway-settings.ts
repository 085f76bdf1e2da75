import { Type, type Static } from '@sinclair/typebox';

/** `gateway.yaml` in the config contract: the gateway's own settings (from Helm values). */
export const GatewaySettings = Type.Object(
  {
    auth: Type.Object(
      {
        issuer: Type.String({ minLength: 1, description: 'Required `iss` of every JWT.' }),
        audience: Type.String({ minLength: 1, description: 'Required `aud` of every JWT.' }),
        tenantClaim: Type.String({
          default: 'tenant',
          description: 'Claim that names the tenant.',
        }),
      },
      { additionalProperties: false },
    ),
    defaultModel: Type.Optional(
      Type.String({
        description: 'Alias used when a request names neither a model nor a prompt default.',
      }),
    ),
    limits: Type.Object(
      {
        maxConcurrent: Type.Integer({ minimum: 1, default: 512 }),
        queueTimeoutMs: Type.Integer({ minimum: 0, default: 1000 }),
        requestTimeoutMs: Type.Integer({ minimum: 1, default: 120_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    streams: Type.Object(
      {
        heartbeatMs: Type.Integer({ minimum: 10, default: 15_000 }),
        resumeTtlS: Type.Integer({ minimum: 1, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
    safety: Type.Object(
      {
        sanitize: Type.Boolean({ default: true, description: 'Anti-injection on user content.' }),
        pii: Type.Union([Type.Literal('off'), Type.Literal('redact'), Type.Literal('block')], {
          default: 'redact',
          description: 'PII policy for input.',
        }),
        piiOutput: Type.Union([Type.Literal('off'), Type.Literal('redact')], {
          default: 'redact',
          description: 'PII policy for output, streamed output included.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type GatewaySettings = Static<typeof GatewaySettings>;
