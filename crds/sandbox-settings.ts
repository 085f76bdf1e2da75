/**
 * `sandbox:` in gateway.yaml: the tenants whose every request the gateway answers with its
 * deterministic mock provider (docs/sandbox.md), so that front ends and SDKs test against the
 * real gateway, its surfaces and wire formats without reaching a provider or spending money.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A mock model id (dataplane/src/providers/mock/mock.ts): a behaviour and its options. */
export const SANDBOX_MODEL_PATTERN = '^(echo|fixed|fail|stall)(\\?[A-Za-z0-9=&%._~+-]*)?$';

export const SandboxSettings = Type.Object(
  {
    tenants: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      maxItems: 1024,
      default: [],
      description:
        'Tenants (as the token names them) served by the sandbox: every model alias answered by the mock provider, no provider reached, no price charged. Read per request.',
    }),
    model: Type.String({
      pattern: SANDBOX_MODEL_PATTERN,
      maxLength: 512,
      default: 'echo',
      description:
        'The mock model that answers every alias of a sandbox tenant: echo ("Echo: <last user message>"), fixed?text=..., fail?code=<error code> or stall, with firstMs, gapMs and chunks (docs/sandbox.md).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Sandbox tenants (docs/sandbox.md).',
  },
);
export type SandboxSettings = Static<typeof SandboxSettings>;
