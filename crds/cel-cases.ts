/**
 * One invalid spec per CEL rule, each derived from the kind's sample by a single change that
 * the plain schema allows and only the rule refuses. The unit tests check exactly that; the
 * cluster tests apply them to a real API server and expect the rule's message back.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { KindDescriptor } from './common.ts';
import { inferenceModelKind } from './inference-model.ts';
import { mcpGatewayKind } from './mcp-gateway.ts';
import { promptManifestKind } from './prompt-manifest.ts';
import { providerRouteKind } from './provider-route.ts';
import { tenantBudgetKind } from './tenant-budget.ts';

export interface CelCase {
  readonly kind: KindDescriptor;
  /** JSON path of the schema node that carries the rule, e.g. `.spec.targets`. */
  readonly path: string;
  /** The rule's message, which the API server answers with. */
  readonly message: string;
  /** What is wrong, for test names. */
  readonly title: string;
  /** The invalid spec, from a copy of the sample's spec. */
  readonly invalid: (sample: unknown) => unknown;
}

function celCase<S extends TObject>(
  kind: KindDescriptor<S>,
  path: string,
  message: string,
  title: string,
  change: (spec: Static<S>) => Static<S>,
): CelCase {
  return {
    kind,
    path,
    message,
    title,
    invalid: (sample) => change(structuredClone(sample) as Static<S>),
  };
}

export const celCases: readonly CelCase[] = [
  celCase(
    inferenceModelKind,
    '.spec',
    'image is required when runtime is container.',
    'a container model without an image',
    (spec) => ({ ...spec, runtime: 'container' as const }),
  ),
  celCase(
    inferenceModelKind,
    '.spec',
    "rollout.strategy InPlace needs runtime onnx: an image's server cannot swap models in its pods.",
    'an image served with an in-place rollout',
    (spec) => ({
      ...spec,
      runtime: 'container' as const,
      image: 'vllm/vllm-openai:v0.6.0',
      rollout: { strategy: 'InPlace' as const },
    }),
  ),
  celCase(
    inferenceModelKind,
    '.spec',
    "tls needs runtime onnx: the operator cannot set an image's own server's TLS settings.",
    'an image served with operator-issued TLS',
    (spec) => ({
      ...spec,
      runtime: 'container' as const,
      image: 'vllm/vllm-openai:v0.6.0',
      tls: {},
    }),
  ),
  celCase(
    inferenceModelKind,
    '.spec.headroomFactor',
    'headroomFactor must be at least 1.',
    'a headroom factor below 1',
    (spec) => ({ ...spec, headroomFactor: 0.9 }),
  ),
  celCase(
    promptManifestKind,
    '.spec.version',
    'version must be a semantic version such as 1.2.0 (semver 2.0).',
    'a version that is not semver',
    (spec) => ({ ...spec, version: '1.2' }),
  ),
  celCase(
    promptManifestKind,
    '.spec.slices',
    'Slice names must be unique within a manifest.',
    'two slices with one name',
    (spec) => ({ ...spec, slices: spec.slices.map((slice) => ({ ...slice, name: 'same' })) }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets',
    'Target names must be unique within a route.',
    'two targets with one name',
    (spec) => ({ ...spec, targets: spec.targets.map((target) => ({ ...target, name: 'same' })) }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[]',
    'A target must set exactly one of model and modelFrom.',
    'a target with both model and modelFrom',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) => ({ ...target, modelFrom: { env: 'CHAT_MODEL' } })),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[]',
    'baseURL is required when provider is openai-compatible.',
    'an openai-compatible target without baseURL',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) => ({
        ...target,
        provider: 'openai-compatible' as const,
      })),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[]',
    'tls needs an https:// baseURL: the gateway never sends a tls target plaintext.',
    'a target with tls at an http:// baseURL',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) =>
        target.provider === 'mock'
          ? target
          : { ...target, baseURL: 'http://upstream.test/v1', tls: { serverName: 'upstream.test' } },
      ),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[]',
    'The mock provider makes no connection: it takes no tls.',
    'a mock target with tls',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) =>
        target.provider === 'mock' ? { ...target, tls: { serverName: 'upstream.test' } } : target,
      ),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[].tls',
    'tls must set at least one of ca, clientCertificate and serverName.',
    'an empty tls block',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) =>
        target.provider === 'mock' ? target : { ...target, tls: {} },
      ),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[].tls.ca',
    'Set exactly one of secretName and gateway: true.',
    'a CA from both a Secret and the gateway',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) =>
        target.provider === 'mock'
          ? target
          : { ...target, tls: { ca: { secretName: 'upstream-ca', gateway: true } } },
      ),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[].tls.clientCertificate',
    'Set exactly one of secretName and gateway: true.',
    'a client certificate from neither a Secret nor the gateway',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) =>
        target.provider === 'mock'
          ? target
          : { ...target, tls: { clientCertificate: { gateway: false } } },
      ),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.targets[].modelFrom',
    'modelFrom must set exactly one of configMapKeyRef and env.',
    'a modelFrom with both a ConfigMap key and an env variable',
    (spec) => ({
      ...spec,
      targets: spec.targets.map((target) => ({
        name: target.name,
        provider: target.provider,
        modelFrom: { env: 'CHAT_MODEL', configMapKeyRef: { name: 'models', key: 'chat' } },
      })),
    }),
  ),
  celCase(
    providerRouteKind,
    '.spec.retry',
    'baseDelayMs must not exceed maxDelayMs.',
    'a base delay above the maximum delay',
    (spec) => ({ ...spec, retry: { baseDelayMs: 6000, maxDelayMs: 5000 } }),
  ),
  celCase(
    tenantBudgetKind,
    '.spec.alertThresholds',
    'alertThresholds must be strictly ascending.',
    'alert thresholds out of order',
    (spec) => ({ ...spec, alertThresholds: [80, 50, 100] }),
  ),
  celCase(
    tenantBudgetKind,
    '.spec.alertThresholds',
    'alertThresholds must be strictly ascending.',
    'a repeated alert threshold',
    (spec) => ({ ...spec, alertThresholds: [50, 50, 100] }),
  ),
  celCase(
    tenantBudgetKind,
    '.spec.onExceed',
    'degradeTo is required when action is Degrade, and allowed only then.',
    'Degrade without degradeTo',
    (spec) => ({ ...spec, onExceed: { action: 'Degrade' as const } }),
  ),
  celCase(
    tenantBudgetKind,
    '.spec.onExceed',
    'degradeTo is required when action is Degrade, and allowed only then.',
    'Reject with a degradeTo',
    (spec) => ({ ...spec, onExceed: { action: 'Reject' as const, degradeTo: 'chat-small' } }),
  ),
  celCase(
    mcpGatewayKind,
    '.spec.servers',
    'Server names must be unique within a gateway.',
    'two servers with one name',
    (spec) => ({ ...spec, servers: (spec.servers ?? []).map((s) => ({ ...s, name: 'same' })) }),
  ),
  celCase(
    mcpGatewayKind,
    '.spec',
    'An enabled MCPGateway needs at least one server.',
    'an enabled gateway without servers',
    (spec) => ({ ...spec, enabled: true, servers: [] }),
  ),
];
