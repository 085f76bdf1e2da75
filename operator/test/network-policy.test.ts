// The rendered egress NetworkPolicies against the real API server: each variant (air-gapped,
// open, an out-of-cluster Redis whose CIDR holds the metadata address) is server-side applied
// with strict field validation and read back unchanged. The API server validates them; it does
// not enforce them (the test cluster has no CNI): tests/egress is the enforcement proof.
import { PatchStrategy, setHeaderOptions, type V1NetworkPolicy } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationOfUrl, type Destination } from '../src/render/egress.ts';
import { renderEgressPolicy, type EgressSettings } from '../src/render/network-policy.ts';
import { deleteNamespaces, networking, newNamespace } from './support.ts';

let namespace: string;

beforeAll(async () => {
  namespace = await newNamespace('egress');
});

afterAll(async () => {
  await deleteNamespaces();
});

const destinations = [
  'https://api.openai.com/v1',
  'https://llm.example.com:8443/v1',
  'http://vllm.models.svc:9000/v1',
  'http://192.0.2.10:8000/v1',
  'http://[2001:db8::10]:8000/v1',
]
  .map((url) => destinationOfUrl(url))
  .filter((d): d is Destination => d !== undefined);

const VARIANTS: [string, EgressSettings][] = [
  ['air-gapped', { redisUrl: 'redis://redis:6379', redisCidr: undefined, airGapped: true }],
  ['open', { redisUrl: 'redis://redis:6379', redisCidr: undefined, airGapped: false }],
  [
    'an out-of-cluster Redis',
    { redisUrl: 'rediss://cache.example.com:6380', redisCidr: '169.254.0.0/16', airGapped: false },
  ],
];

describe('the egress NetworkPolicy on the API server', () => {
  it.each(VARIANTS)('is accepted as rendered: %s', async (_name, settings) => {
    const [rendered] = renderEgressPolicy(namespace, destinations, settings);
    const body = rendered as unknown as V1NetworkPolicy;
    await networking.patchNamespacedNetworkPolicy(
      {
        namespace,
        name: body.metadata!.name!,
        body,
        fieldManager: 'inference-tests',
        force: true,
        fieldValidation: 'Strict',
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    const stored = await networking.readNamespacedNetworkPolicy({
      namespace,
      name: body.metadata!.name!,
    });
    // Read back through the client's own serializer, so both sides have the same shape.
    const spec = JSON.parse(JSON.stringify(body.spec)) as unknown;
    expect(JSON.parse(JSON.stringify(stored.spec))).toEqual(spec);
    expect(stored.metadata?.annotations).toEqual(body.metadata?.annotations);
  });
});
