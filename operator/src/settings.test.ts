import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagName, loadSettings, mergeFlags, SETTINGS, SettingsError } from './settings.ts';

const JWKS = '{"keys":[{"kty":"EC"}]}';
const base = { INFERENCE_AUTH_JWKS: JWKS, POD_NAMESPACE: 'ops' };

describe('loadSettings', () => {
  it('has a default for everything but the JWKS', () => {
    const s = loadSettings(base, []);
    expect(s).toMatchObject({
      watchNamespaces: [],
      gateway: {
        image: 'inference-service-dataplane:dev',
        replicas: 2,
        redisUrl: 'redis://redis:6379',
        redisCidr: undefined,
        env: {},
      },
      modelServerImage: 'inference-service-dataplane:dev',
      airGapped: false,
      leaderElection: {
        enabled: true,
        leaseName: 'inference-operator',
        leaseNamespace: 'ops',
        leaseDurationMs: 15000,
        renewDeadlineMs: 10000,
        retryPeriodMs: 2000,
      },
      pricing: undefined,
      budgetSpend: { redisUrl: undefined, keyPrefix: '', refreshMs: 30_000 },
      resumeKeys: { rotationPeriodMs: 86_400_000, propagationMs: 90_000 },
      auditKeys: { rotationPeriodMs: 30 * 86_400_000, propagationMs: 90_000 },
      concurrency: 4,
      resyncMs: 600000,
      healthPort: 8081,
      metricsPort: 8080,
      logLevel: 'info',
      kubeconfig: undefined,
    });
    expect(s.gatewayConfig).toMatchObject({
      auth: {
        issuer: 'https://inference-service.local',
        audience: 'inference-service',
        tenantClaim: 'tenant',
      },
      limits: { maxConcurrent: 512 },
    });
    expect(s.gatewayConfig).not.toHaveProperty('defaultModel');
    expect(s.leaderElection.identity).toMatch(/_\d+$/);
  });

  it('reads the environment, and flags override it', () => {
    const s = loadSettings(
      {
        ...base,
        INFERENCE_WATCH_NAMESPACES: 'a, b,,',
        INFERENCE_GATEWAY_REPLICAS: '5',
        INFERENCE_AIR_GAPPED: 'yes',
        INFERENCE_GATEWAY_ENV: '{"CHAT_MODEL":"gpt-4o"}',
        INFERENCE_DEFAULT_MODEL: 'chat',
        INFERENCE_GATEWAY_SETTINGS: '{"limits":{"maxConcurrent":64}}',
        INFERENCE_MODEL_SERVER_IMAGE: 'onnx:2',
        INFERENCE_REDIS_CIDR: '10.0.0.1/32',
        INFERENCE_RESUME_KEY_PROPAGATION_MS: '5000',
        INFERENCE_AUDIT_KEY_ROTATION_MS: '0',
        KUBECONFIG: '/tmp/kc',
      },
      ['--gateway-replicas=7', '--gateway-image', 'gw:9', '--leader-election', 'false'],
    );
    expect(s.watchNamespaces).toEqual(['a', 'b']);
    expect(s.gateway).toMatchObject({
      replicas: 7,
      image: 'gw:9',
      env: { CHAT_MODEL: 'gpt-4o' },
      redisCidr: '10.0.0.1/32',
    });
    expect(s.modelServerImage).toBe('onnx:2');
    expect(s.airGapped).toBe(true);
    expect(s.leaderElection.enabled).toBe(false);
    expect(s.gatewayConfig).toMatchObject({ defaultModel: 'chat', limits: { maxConcurrent: 64 } });
    expect(s.kubeconfig).toBe('/tmp/kc');
    // One propagation delay for both keyrings: they share the Secret.
    expect(s.auditKeys).toEqual({ rotationPeriodMs: 0, propagationMs: 5000 });
    expect(s.resumeKeys.propagationMs).toBe(5000);
  });

  it('needs no JWKS of its own when it fetches the issuer JWKS URL', () => {
    const s = loadSettings({ INFERENCE_AUTH_JWKS_URL: 'https://issuer.test/jwks.json' }, []);
    expect([s.jwks, s.jwksUrl, s.jwksRefreshMs]).toEqual([
      '',
      'https://issuer.test/jwks.json',
      300_000,
    ]);
  });

  it('reads the JWKS from a file', () => {
    const file = new URL('./settings.test.jwks.json', import.meta.url).pathname;
    const s = loadSettings({ INFERENCE_AUTH_JWKS_FILE: file }, []);
    expect(JSON.parse(s.jwks)).toEqual(
      JSON.parse(readFileSync(new URL('./settings.test.jwks.json', import.meta.url), 'utf8')),
    );
  });

  it("reads where spend is, how often, and keys it as gateway.yaml's budgets.keyPrefix says", () => {
    const s = loadSettings(base, [
      '--budget-redis-url=redis://spend:6379',
      '--gateway-settings={"budgets":{"keyPrefix":"prod:"}}',
      '--budget-refresh-s=5',
    ]);
    expect(s.budgetSpend).toEqual({
      redisUrl: 'redis://spend:6379',
      keyPrefix: 'prod:',
      refreshMs: 5000,
    });
  });

  it("reads the pricing file and keeps its text, once its checksum verifies (the repository's)", () => {
    const file = new URL('../../config/pricing.yaml', import.meta.url).pathname;
    const s = loadSettings({ ...base, INFERENCE_PRICING_FILE: file }, []);
    expect(s.pricing).toBe(readFileSync(file, 'utf8'));
  });

  it('refuses to start with a pricing file whose checksum is stale, naming both checksums', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pricing-'));
    const file = join(dir, 'pricing.yaml');
    const text = readFileSync(new URL('../../config/pricing.yaml', import.meta.url), 'utf8');
    writeFileSync(file, text.replace("output: '0.6'", "output: '0.7'"));
    expect(() => loadSettings({ ...base, INFERENCE_PRICING_FILE: file }, [])).toThrow(
      new RegExp(
        `^INFERENCE_PRICING_FILE: ${file}: checksum sha256:[0-9a-f]{64} does not match the prices \\(expected sha256:[0-9a-f]{64}\\)\\.$`,
      ),
    );
  });

  it.each([
    [{ ...base, INFERENCE_PRICING_FILE: '/nonexistent/pricing.yaml' }, [], /cannot read .*ENOENT/],
    [{ ...base, INFERENCE_BUDGET_REFRESH_S: '0' }, [], /INFERENCE_BUDGET_REFRESH_S must be/],
    [{}, [], /Set INFERENCE_AUTH_JWKS/],
    [{ INFERENCE_AUTH_JWKS: 'nope' }, [], /not JSON/],
    [{ INFERENCE_AUTH_JWKS: '{"keys":[]}' }, [], /non-empty "keys"/],
    [{ INFERENCE_AUTH_JWKS_URL: 'http://issuer.example/jwks' }, [], /must be https/],
    [{ INFERENCE_AUTH_JWKS_URL: 'issuer' }, [], /is not a URL/],
    [
      { ...base, INFERENCE_TLS: 'maybe' },
      [],
      /INFERENCE_TLS must be off, operator or cert-manager/,
    ],
    [{ ...base, INFERENCE_TLS: 'cert-manager' }, [], /needs INFERENCE_TLS_SECRET/],
    [
      { ...base, INFERENCE_TLS: 'operator', INFERENCE_TLS_CERTIFICATE_LIFETIME_MS: '200000000000' },
      [],
      /at most a third of INFERENCE_TLS_CA_LIFETIME_MS/,
    ],
    [
      { ...base, INFERENCE_GATEWAY_SETTINGS: '{"tls":{"clientCertificates":"required"}}' },
      [],
      /tls.clientCertificates needs INFERENCE_TLS/,
    ],
    [
      { ...base, INFERENCE_GATEWAY_REPLICAS: 'two' },
      [],
      /INFERENCE_GATEWAY_REPLICAS must be an integer/,
    ],
    [{ ...base, INFERENCE_AIR_GAPPED: 'maybe' }, [], /must be true or false/],
    [{ ...base, INFERENCE_GATEWAY_ENV: '[1]' }, [], /must be a JSON object/],
    [{ ...base, INFERENCE_GATEWAY_ENV: '{"A":1}' }, [], /INFERENCE_GATEWAY_ENV.A must be a string/],
    [{ ...base, INFERENCE_GATEWAY_RESOURCES: '{' }, [], /must be JSON/],
    [
      { ...base, INFERENCE_GATEWAY_IMAGE_PULL_POLICY: 'Sometimes' },
      [],
      /Always, IfNotPresent or Never/,
    ],
    [{ ...base, INFERENCE_LOG_LEVEL: 'loud' }, [], /INFERENCE_LOG_LEVEL/],
    [
      { ...base, INFERENCE_GATEWAY_SETTINGS: '{"limits":{"maxConcurrent":0}}' },
      [],
      /INFERENCE_GATEWAY_SETTINGS/,
    ],
    [base, ['--no-such-flag=1'], /Unknown flag --no-such-flag/],
    [base, ['positional'], /Unexpected argument/],
    [base, ['--gateway-image'], /needs a value/],
  ] as const)('refuses %o %o', (env, argv, message) => {
    expect(() => loadSettings(env, argv)).toThrow(SettingsError);
    expect(() => loadSettings(env, argv)).toThrow(message);
  });
});

describe('flags', () => {
  it('are the variable names without the prefix, in kebab case', () => {
    expect(flagName('INFERENCE_GATEWAY_IMAGE')).toBe('--gateway-image');
    expect(flagName('KUBECONFIG')).toBe('--kubeconfig');
    expect(mergeFlags({ INFERENCE_GATEWAY_IMAGE: 'a' }, ['--gateway-image=b'])).toEqual({
      INFERENCE_GATEWAY_IMAGE: 'b',
    });
  });

  it('are each documented in docs/operator.md', () => {
    const doc = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
    for (const setting of SETTINGS) expect(doc).toContain(`\`${setting.env}\``);
  });
});
