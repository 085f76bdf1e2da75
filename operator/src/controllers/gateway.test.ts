import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../dataplane/src/config/snapshot.ts';
import { parseGatewayConfig } from '../settings.ts';
import { budget, mcp, model, prompt, refs, route } from '../../test/fixtures.ts';
import type { KubeObject } from '../runtime/objects.ts';
import { configChecksum } from '../render/config-contract.ts';
import { PROVIDER_BASE_URLS } from '../render/egress.ts';
import {
  gatewayConfigPolicy,
  reconcileGateway,
  resumeKeyringPolicy,
  type GatewayObserved,
} from './gateway.ts';

const JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] });
const NOW = new Date('2026-11-26T12:00:00Z');
const fresh = {
  kid: 'resume-1',
  secret: Buffer.alloc(32, 7).toString('base64url'),
  createdAt: NOW.toISOString(),
};

function observed(
  extra: Partial<GatewayObserved> = {},
  settings: Partial<GatewayObserved['settings']> = {},
): GatewayObserved {
  return {
    namespace: 'team',
    models: [model()],
    routes: [route()],
    prompts: [prompt()],
    budgets: [budget()],
    mcpGateways: [mcp()],
    refs: refs(),
    existingKeys: undefined,
    freshResumeKey: fresh,
    now: NOW,
    settings: {
      workload: {
        image: 'dataplane:1',
        imagePullPolicy: 'IfNotPresent',
        replicas: 2,
        resources: { requests: { cpu: '100m' } },
        env: {},
        redisUrl: 'redis://redis.data.svc:6379',
        redisCidr: undefined,
      },
      gatewayConfig: parseGatewayConfig(
        { auth: { issuer: 'https://issuer', audience: 'aud' }, defaultModel: 'chat' },
        'test',
      ),
      resumeKeys: { rotationPeriodMs: 86_400_000, propagationMs: 90_000 },
      jwks: JWKS,
      airGapped: false,
      ...settings,
    },
    ...extra,
  };
}

const find = (
  objects: KubeObject[],
  kind: string,
  name: string,
): KubeObject & Record<string, unknown> => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (object === undefined) throw new Error(`${kind}/${name} not rendered`);
  return object;
};

/** The files a gateway pod would see, from the rendered ConfigMaps and Secrets. */
function mountedFiles(objects: KubeObject[]): Map<string, string> {
  const files = new Map<string, string>();
  const data = (kind: string, name: string) =>
    (find(objects, kind, name)['data'] ?? {}) as Record<string, string>;
  const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(data('ConfigMap', 'inference-config'))) files.set(k, v);
  for (const [k, v] of Object.entries(data('ConfigMap', 'inference-prompts')))
    files.set(`prompts/${k}`, v);
  for (const [k, v] of Object.entries(data('Secret', 'inference-keys')))
    files.set(`keys/${k}`, decode(v));
  for (const [k, v] of Object.entries(data('Secret', 'inference-credentials')))
    files.set(`credentials/${k}`, decode(v));
  return files;
}

describe('reconcileGateway', () => {
  it('renders the contract, the gateway, its Service and its egress policy', () => {
    const { desired } = reconcileGateway(observed());
    expect(desired.map((o) => `${o.kind ?? ''}/${o.metadata.name}`)).toEqual([
      'ConfigMap/inference-config',
      'ConfigMap/inference-prompts',
      'Secret/inference-keys',
      'Secret/inference-credentials',
      'Deployment/inference-gateway',
      'Service/inference-gateway',
      'NetworkPolicy/inference-gateway-egress',
    ]);
    for (const object of desired) {
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'inference-operator',
        'inference.enis.io/owner': 'gateway',
      });
      expect(object.metadata.namespace).toBe('team');
    }
  });

  it('renders files the dataplane loads, whose checksum is the annotation', () => {
    const { desired } = reconcileGateway(observed());
    const files = mountedFiles(desired);
    const checksum = configChecksum(files);
    const snapshot = buildSnapshot({ files, checksum }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
    expect(snapshot.routes.get('chat')?.targets[1]?.apiKey).toBe('sk-1');
    expect(snapshot.gateway.defaultModel).toBe('chat');
    expect(snapshot.resumeKeys.active).toBe('resume-1');
    expect(
      find(desired, 'ConfigMap', 'inference-config').metadata.annotations?.[
        'inference.enis.io/config-checksum'
      ],
    ).toBe(checksum);
  });

  it('keeps defaultModel out while no rendered route serves it (the dataplane would refuse the config)', () => {
    const { desired } = reconcileGateway(
      observed({ routes: [route('other', { alias: 'other' })] }),
    );
    const files = mountedFiles(desired);
    expect(files.get('gateway.yaml')).not.toContain('defaultModel');
    expect(() => buildSnapshot({ files, checksum: 'x' }, {})).not.toThrow();
  });

  it('leaves out what the dataplane would refuse: a bad prompt, a duplicate alias, an unresolved model', () => {
    const { desired } = reconcileGateway(
      observed({
        prompts: [prompt('tampered', { description: 'changed' })],
        routes: [
          route('a', { alias: 'chat' }, '2026-01-01T00:00:00Z'),
          route('b', { alias: 'chat' }, '2026-01-02T00:00:00Z'),
          route('c', {
            alias: 'c',
            targets: [{ name: 't', provider: 'openai', modelFrom: { env: 'UNSET' } }],
          }),
        ],
      }),
    );
    const files = mountedFiles(desired);
    expect([...files.keys()].filter((f) => f.startsWith('prompts/'))).toEqual([]);
    const snapshot = buildSnapshot({ files, checksum: 'x' }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
  });

  it('puts only the credentials that rendered routes use, copied byte for byte', () => {
    const { desired } = reconcileGateway(observed());
    expect(find(desired, 'Secret', 'inference-credentials')['data']).toEqual({
      'openai-credentials__api-key': Buffer.from('sk-1').toString('base64'),
    });
  });

  it('desires nothing in a namespace without any of the five kinds', () => {
    expect(
      reconcileGateway(
        observed({ models: [], routes: [], prompts: [], budgets: [], mcpGateways: [] }),
      ),
    ).toEqual({ desired: [] });
  });

  it('keeps the gateway pod template free of config checksums, and sets CONFIG_DIR and REDIS_URL', () => {
    const deployment = find(
      reconcileGateway(observed()).desired,
      'Deployment',
      'inference-gateway',
    ) as unknown as {
      spec: {
        replicas: number;
        template: {
          metadata: { annotations?: object };
          spec: { containers: { env: { name: string; value: string }[] }[] };
        };
      };
    };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.metadata.annotations).toBeUndefined();
    const env = Object.fromEntries(
      deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      CONFIG_DIR: '/etc/inference',
      REDIS_URL: 'redis://redis.data.svc:6379',
      HOST: '0.0.0.0',
      PORT: '8080',
    });
  });
});

describe('the egress policy', () => {
  type Policy = {
    metadata: { annotations?: Record<string, string> };
    spec: { egress: { to?: unknown[]; ports: { port: number }[] }[] };
  };
  const policy = (
    extra: Partial<GatewayObserved> = {},
    settings: Partial<GatewayObserved['settings']> = {},
  ) =>
    find(
      reconcileGateway(observed(extra, settings)).desired,
      'NetworkPolicy',
      'inference-gateway-egress',
    ) as unknown as Policy;

  it('opens exactly the hosts of rendered routes, listed in an annotation', () => {
    const p = policy({
      routes: [
        route('a', {
          alias: 'a',
          targets: [{ name: 'x', provider: 'anthropic', model: 'claude' }],
        }),
        route('b', {
          alias: 'b',
          targets: [
            {
              name: 'y',
              provider: 'openai-compatible',
              model: 'm',
              baseURL: 'https://llm.example.com:8443/v1',
            },
          ],
        }),
      ],
    });
    expect(p.metadata.annotations?.['inference.enis.io/egress-hosts']).toBe(
      'api.anthropic.com:443,llm.example.com:8443',
    );
    expect(p.spec.egress.at(-1)).toEqual({
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 8443, protocol: 'TCP' },
      ],
    });
  });

  it('turns an IP baseURL into an ipBlock and an in-cluster one into a rule to cluster pods', () => {
    const p = policy({
      routes: [
        route('a', {
          alias: 'a',
          targets: [
            {
              name: 'x',
              provider: 'openai-compatible',
              model: 'm',
              baseURL: 'http://10.1.2.3:8000/v1',
            },
          ],
        }),
        route('b', {
          alias: 'b',
          targets: [
            {
              name: 'y',
              provider: 'openai-compatible',
              model: 'm',
              baseURL: 'http://vllm.models.svc:9000/v1',
            },
          ],
        }),
      ],
    });
    expect(p.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.1.2.3/32' } }],
      ports: [{ port: 8000, protocol: 'TCP' }],
    });
    expect(p.spec.egress).toContainEqual({
      to: [{ namespaceSelector: {} }],
      ports: [{ port: 9000, protocol: 'TCP' }],
    });
    expect(p.metadata.annotations?.['inference.enis.io/egress-hosts']).toBe('10.1.2.3:8000');
  });

  it('allows DNS and in-cluster targets only when air-gapped, and lists what it blocked', () => {
    const p = policy({}, { airGapped: true });
    expect(p.spec.egress.map((r) => r.ports.map((port) => port.port))).toEqual([
      [53, 53],
      [6379],
      [8080, 8000],
    ]);
    expect(p.metadata.annotations).toEqual({
      'inference.enis.io/egress-blocked-hosts': 'api.openai.com:443',
    });
  });

  it('reaches an out-of-cluster Redis through its CIDR', () => {
    const p = policy(
      {},
      {
        workload: {
          ...observed().settings.workload,
          redisCidr: '192.168.0.10/32',
          redisUrl: 'rediss://cache.example.com',
        },
      },
    );
    expect(p.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: '192.168.0.10/32' } }],
      ports: [{ port: 6379, protocol: 'TCP' }],
    });
  });

  it('knows the public endpoints the dataplane’s providers use', async () => {
    const { OPENAI_BASE_URL } = await import('../../../dataplane/src/providers/openai/openai.ts');
    const { ANTHROPIC_BASE_URL } =
      await import('../../../dataplane/src/providers/anthropic/anthropic.ts');
    const { GROQ_BASE_URL } = await import('../../../dataplane/src/providers/groq/groq.ts');
    expect(PROVIDER_BASE_URLS).toEqual({
      openai: OPENAI_BASE_URL,
      anthropic: ANTHROPIC_BASE_URL,
      groq: GROQ_BASE_URL,
    });
  });
});

describe('resumeKeyringPolicy', () => {
  const encode = (value: unknown) => ({
    'resume.json': Buffer.from(JSON.stringify(value)).toString('base64'),
  });
  const old = {
    kid: 'old',
    secret: Buffer.alloc(32, 1).toString('base64url'),
    createdAt: '2026-11-26T11:00:00.000Z',
  };

  it('keeps a keyring that is not due for rotation as it is, and says when it will be', () => {
    const keyring = { active: 'old', keys: [old] };
    const decision = resumeKeyringPolicy(observed({ existingKeys: encode(keyring) }));
    expect(decision.keyring).toEqual(keyring);
    expect(decision.nextChangeMs).toBe(23 * 3600_000);
  });

  it.each([
    ['no Secret yet', undefined],
    ['not JSON', { 'resume.json': Buffer.from('{').toString('base64') }],
    [
      'an active key that is not in keys',
      encode({
        active: 'gone',
        keys: [{ kid: 'k', secret: Buffer.alloc(32).toString('base64url') }],
      }),
    ],
    ['a short secret', encode({ active: 'k', keys: [{ kid: 'k', secret: 'c2hvcnQ' }] })],
  ])('starts a new keyring with the fresh key on %s', (_title, existing) => {
    expect(resumeKeyringPolicy(observed({ existingKeys: existing })).keyring).toEqual({
      active: fresh.kid,
      keys: [fresh],
    });
  });

  it('asks the runtime to reconcile again when the keyring next changes', () => {
    const result = reconcileGateway(
      observed({ existingKeys: encode({ active: 'old', keys: [old] }) }),
    );
    expect(result.requeueAfterMs).toBe(23 * 3600_000);
  });
});

describe('gatewayConfigPolicy', () => {
  it('keeps a config without defaultModel as it is', () => {
    const config = parseGatewayConfig({ auth: { issuer: 'i', audience: 'a' } }, 'test');
    expect(gatewayConfigPolicy(config, new Set())).toBe(config);
  });
});
