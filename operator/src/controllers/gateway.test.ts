import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseGatewayConfig } from '../settings.ts';
import { prompt, route } from '../../test/fixtures.ts';
import { find, fresh, freshAudit, mountedFiles, observed } from '../../test/gateway-observed.ts';
import { configChecksum } from '../render/config-contract.ts';
import { publicKeyOf } from './audit-keys.ts';
import {
  auditKeysPolicy,
  gatewayConfigPolicy,
  reconcileGateway,
  resumeKeyringPolicy,
  type GatewayObserved,
} from './gateway.ts';

describe('reconcileGateway', () => {
  it('renders the contract, the gateway, its Service and its egress policy', () => {
    const { desired } = reconcileGateway(observed());
    expect(desired.map((o) => `${o.kind ?? ''}/${o.metadata.name}`)).toEqual([
      'ConfigMap/inference-config',
      'ConfigMap/inference-prompts',
      'Secret/inference-keys',
      'Secret/inference-credentials',
      'Secret/inference-upstream-tls',
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

  it('annotates the config with the checksum of every file it renders', () => {
    const { desired } = reconcileGateway(observed());
    expect(
      find(desired, 'ConfigMap', 'inference-config').metadata.annotations?.[
        'inference.enis.io/config-checksum'
      ],
    ).toBe(configChecksum(mountedFiles(desired)));
  });

  it('stamps the config with the time it first rendered its checksum, and reports it as a gauge', () => {
    const annotations = (o: GatewayObserved) =>
      find(reconcileGateway(o).desired, 'ConfigMap', 'inference-config').metadata.annotations;
    const first = observed();
    const checksum = annotations(first)?.['inference.enis.io/config-checksum'] ?? '';
    const now = first.now.toISOString();
    expect(annotations(first)?.['inference.enis.io/config-rendered-at']).toBe(now);
    expect(reconcileGateway(first).gauges).toContainEqual({
      gauge: 'configRendered',
      labels: { namespace: first.namespace, checksum },
      value: first.now.getTime() / 1000,
    });
    // A later pass of the same contract keeps the first time; a changed contract is stamped anew.
    const earlier = '2026-01-01T00:00:00.000Z';
    const same = { ...first, existingConfig: { checksum, renderedAt: earlier } };
    expect(annotations(same)?.['inference.enis.io/config-rendered-at']).toBe(earlier);
    const changed = { ...first, existingConfig: { checksum: 'sha256:old', renderedAt: earlier } };
    expect(annotations(changed)?.['inference.enis.io/config-rendered-at']).toBe(now);
  });

  it("renders the operator's pricing file as pricing.yaml, as it is, and none without one", () => {
    const pricing = '# prices\nchecksum: sha256:x\nprices: []\n';
    const withPricing = mountedFiles(reconcileGateway(observed({}, { pricing })).desired);
    expect(withPricing.get('pricing.yaml')).toBe(pricing);
    expect(mountedFiles(reconcileGateway(observed()).desired).has('pricing.yaml')).toBe(false);
  });

  it('keeps defaultModel out while no rendered route serves it (the dataplane would refuse the config)', () => {
    const { desired } = reconcileGateway(
      observed({ routes: [route('other', { alias: 'other' })] }),
    );
    expect(mountedFiles(desired).get('gateway.yaml')).not.toContain('defaultModel');
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
    const routes = parse(files.get('routes.yaml') ?? '') as { routes: { alias: string }[] };
    expect(routes.routes.map((r) => r.alias)).toEqual(['chat']);
  });

  it('puts the JWKS, the resume keyring and the audit keys in the keys Secret', () => {
    const files = mountedFiles(reconcileGateway(observed()).desired);
    expect([...files.keys()].filter((f) => f.startsWith('keys/')).sort()).toEqual([
      'keys/audit.json',
      'keys/jwks.json',
      'keys/resume.json',
    ]);
    expect(JSON.parse(files.get('keys/resume.json') ?? '')).toEqual({
      active: fresh.kid,
      keys: [fresh],
    });
    expect(JSON.parse(files.get('keys/audit.json') ?? '')).toEqual({
      active: freshAudit.key.kid,
      keys: [freshAudit.key],
      retired: [],
      contentKey: freshAudit.contentKey,
    });
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
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } },
        { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128'] } },
      ],
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

  it('leaves the targets outside the cluster out of routes.yaml when air-gapped', () => {
    const routesOf = (airGapped: boolean) => {
      const files = mountedFiles(reconcileGateway(observed({}, { airGapped })).desired);
      const { routes } = parse(files.get('routes.yaml') ?? '') as {
        routes: { alias: string; targets: { provider: string }[] }[];
      };
      return routes.map((r) => `${r.alias}: ${r.targets.map((t) => t.provider).join(' → ')}`);
    };
    expect(routesOf(false)).toEqual(['chat: mock → openai']);
    expect(routesOf(true)).toEqual(['chat: mock']);
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

  it("reports when each keyring's signing key was published, for the key-age alerts", () => {
    const { gauges } = reconcileGateway(
      observed({ existingKeys: encode({ active: 'old', keys: [old] }) }),
    );
    expect(gauges).toContainEqual({
      gauge: 'signingKeyCreated',
      labels: { namespace: expect.any(String), keyring: 'resume', kid: 'old' },
      value: Date.parse(old.createdAt) / 1000,
    });
    expect(
      gauges?.filter((g) => g.gauge === 'signingKeyCreated').map((g) => g.labels['keyring']),
    ).toEqual(['resume', 'audit']);
  });
});

describe('auditKeysPolicy', () => {
  const DAY = 86_400_000;
  const encode = (value: unknown) => ({
    'audit.json': Buffer.from(JSON.stringify(value)).toString('base64'),
  });
  const old = { ...freshAudit.key, kid: 'old', createdAt: '2026-10-28T11:00:00.000Z' };
  const contentKey = Buffer.alloc(32, 1).toString('base64url');
  const retired = {
    kid: 'older',
    publicKey: publicKeyOf(old.privateKey),
    retiredAt: '2026-11-01T00:00:00.000Z',
  };

  it('keeps audit keys that are not due for rotation as they are, and says when they will be', () => {
    const file = { active: 'old', keys: [old], retired: [retired], contentKey };
    const decision = auditKeysPolicy(observed({ existingKeys: encode(file) }));
    expect(decision.auditKeys).toEqual(file);
    // Published 29 days and 1 hour before NOW: the next key is due in 23 hours.
    expect(decision.nextChangeMs).toBe(23 * 3600_000);
  });

  it('starts a fresh ring on an unusable one, keeping the content key and the retired keys', () => {
    const file = { active: 'gone', keys: [], retired: [retired], contentKey };
    expect(auditKeysPolicy(observed({ existingKeys: encode(file) })).auditKeys).toEqual({
      active: freshAudit.key.kid,
      keys: [freshAudit.key],
      retired: [retired],
      contentKey,
    });
  });

  it("makes the reconcile run again at the sooner of the two rings' changes", () => {
    // The resume keyring is new in both cases: its next key is due in 24 hours.
    const dueIn = (audit: object) =>
      reconcileGateway(observed({ existingKeys: encode(audit) })).requeueAfterMs;
    const file = { active: 'old', keys: [old], retired: [], contentKey };
    expect(dueIn(file)).toBe(23 * 3600_000);
    const young = { ...old, createdAt: '2026-11-26T11:00:00.000Z' };
    expect(dueIn({ ...file, keys: [young] })).toBe(DAY);
  });
});

describe('gatewayConfigPolicy', () => {
  it('keeps a config without defaultModel as it is', () => {
    const config = parseGatewayConfig({ auth: { issuer: 'i', audience: 'a' } }, 'test');
    expect(gatewayConfigPolicy(config, new Set())).toEqual(config);
  });

  it("air-gaps the dataplane's egress guard exactly when the operator is air-gapped", () => {
    const config = parseGatewayConfig(
      { auth: { issuer: 'i', audience: 'a' }, egress: { allowHosts: ['llm.example.com'] } },
      'test',
    );
    expect(gatewayConfigPolicy(config, new Set(), true).egress).toEqual({
      ...config.egress,
      airGapped: true,
    });
    expect(gatewayConfigPolicy(config, new Set(), false).egress.airGapped).toBe(false);
  });
});
