// What `helm template` renders: exactly the settings the operator reads, the monitoring kinds only
// where the Prometheus Operator runs, the CRDs as templates on request, the Secret references,
// and a refusal of values without a JWKS source that names the three sources.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../operator/src/settings.ts';
import { GATEWAY_SELECTOR } from '../../operator/src/render/labels.ts';
import {
  CHART,
  CI_VALUES,
  find,
  helm,
  helmBinary,
  KUBE_VERSION,
  NO_HELM,
  template,
} from './helm.ts';

interface Container {
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  ports?: { name: string; containerPort: number }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
  topologySpreadConstraints?: { topologyKey: string }[];
}
const podSpec = (m: Record<string, unknown>): PodSpec =>
  (m['spec'] as { template: { spec: PodSpec } }).template.spec;
const settingsData = (manifests: Awaited<ReturnType<typeof template>>): Record<string, string> =>
  find(manifests, 'ConfigMap', '-operator-settings')['data'] as Record<string, string>;

/** Settings the chart leaves to their defaults or to the pod (see docs/install.md). */
const NOT_RENDERED = [
  'INFERENCE_LEASE_NAMESPACE', // the pod's namespace, from POD_NAMESPACE
  'INFERENCE_IDENTITY', // the pod's hostname and pid
  'INFERENCE_BIND_ADDRESS',
  'KUBECONFIG', // in-cluster
];

describe.skipIf(helmBinary === undefined)(
  helmBinary === undefined ? `the chart's templates (${NO_HELM})` : "the chart's templates",
  () => {
    it('pass helm lint --strict', async () => {
      const lint = await helm(['lint', '--strict', CHART, '--values', CI_VALUES]);
      expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(lint.code).toBe(0);
    });

    it('render only settings the operator reads, and every one it reads but four left to the pod', async () => {
      const manifests = await template();
      const known = new Set(SETTINGS.map((s) => s.env));
      const rendered = Object.keys(settingsData(manifests));
      expect(rendered.filter((key) => !known.has(key))).toEqual([]);
      const env = podSpec(find(manifests, 'Deployment')).containers[0]!.env ?? [];
      expect(env.map((e) => e.name)).toEqual(['POD_NAMESPACE']);
      expect(
        [...known].filter((key) => !rendered.includes(key) && !NOT_RENDERED.includes(key)),
      ).toEqual([]);
    });

    it('refuse values without a JWKS source, naming jwks, jwksUrl and jwksSecret.name', async () => {
      const refused = await helm([
        'template',
        'inference-service',
        CHART,
        '--kube-version',
        KUBE_VERSION,
      ]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("at '/operator/auth': 'anyOf' failed");
      for (const path of ['jwks', 'jwksUrl', 'jwksSecret/name']) {
        expect(refused.stderr).toContain(`at '/operator/auth/${path}': minLength: got 0, want 1`);
      }
    });

    it('refuse an unknown value and a plain-http JWKS URL', async () => {
      const unknown = await helm([
        'template',
        'x',
        CHART,
        '--set',
        'operator.auth.jwksUrl=https://i/j',
        '--set',
        'operator.replicas=2',
      ]);
      expect(unknown.stderr).toMatch(/additional properties 'replicas' not allowed/);
      const http = await helm([
        'template',
        'x',
        CHART,
        '--set',
        'operator.auth.jwksUrl=http://issuer.example/jwks',
      ]);
      expect(http.code).not.toBe(0);
      expect(http.stderr).toContain("at '/operator/auth/jwksUrl'");
    });

    it('render a ServiceMonitor and a PrometheusRule only where the Prometheus Operator CRDs exist', async () => {
      const bare = await template();
      expect(bare.filter((m) => m.apiVersion === 'monitoring.coreos.com/v1')).toEqual([]);
      const monitored = await template([
        '--api-versions',
        'monitoring.coreos.com/v1/ServiceMonitor',
        '--api-versions',
        'monitoring.coreos.com/v1/PrometheusRule',
      ]);
      const monitor = find(monitored, 'ServiceMonitor');
      const service = find(monitored, 'Service', '-operator-metrics');
      expect((monitor['spec'] as { endpoints: { port: string }[] }).endpoints[0]?.port).toBe(
        'metrics',
      );
      expect((service['spec'] as { selector: object }).selector).toEqual(
        (monitor['spec'] as { selector: { matchLabels: object } }).selector.matchLabels,
      );
      expect(find(monitored, 'PrometheusRule').metadata.name).toBe('inference-service');
    });

    it('scrape the gateways the operator renders in every namespace, and keep the operator series namespaces', async () => {
      const monitored = await template([
        '--api-versions',
        'monitoring.coreos.com/v1/ServiceMonitor',
        '--api-versions',
        'monitoring.coreos.com/v1/PodMonitor',
      ]);
      const pods = find(monitored, 'PodMonitor')['spec'] as {
        selector: { matchLabels: object };
        namespaceSelector: object;
        podMetricsEndpoints: { port: string; path: string; scheme: string }[];
      };
      expect(pods.selector.matchLabels).toEqual(GATEWAY_SELECTOR);
      expect(pods.namespaceSelector).toEqual({ any: true });
      expect(pods.podMetricsEndpoints).toMatchObject([
        { port: 'http', path: '/metrics', scheme: 'http' },
      ]);
      const operator = find(monitored, 'ServiceMonitor')['spec'] as {
        endpoints: { honorLabels: boolean }[];
      };
      expect(operator.endpoints[0]?.honorLabels).toBe(true);
      const https = await template([
        '--api-versions',
        'monitoring.coreos.com/v1/PodMonitor',
        '--set',
        'metrics.gatewayPodMonitor.scheme=https,metrics.gatewayPodMonitor.tlsConfig.serverName=inference-gateway',
      ]);
      expect(
        (find(https, 'PodMonitor')['spec'] as typeof pods).podMetricsEndpoints[0],
      ).toMatchObject({
        scheme: 'https',
        tlsConfig: { serverName: 'inference-gateway' },
      });
    });

    it('render one dashboard ConfigMap per dashboards/*.json, a PDB, a spread and a NetworkPolicy', async () => {
      const manifests = await template();
      const dashboards = manifests.filter((m) => m.metadata.labels?.['grafana_dashboard'] === '1');
      expect(dashboards.map((m) => Object.keys(m['data'] as object)[0]).sort()).toEqual(
        readdirSync(`${CHART}dashboards`).sort(),
      );
      expect(find(manifests, 'PodDisruptionBudget')['spec']).toMatchObject({ maxUnavailable: 1 });
      const spec = podSpec(find(manifests, 'Deployment'));
      expect(spec.topologySpreadConstraints?.[0]?.topologyKey).toBe('kubernetes.io/hostname');
      expect(spec.containers[0]?.ports?.map((p) => p.name)).toEqual(['health', 'metrics']);
      const policy = find(manifests, 'NetworkPolicy')['spec'] as { policyTypes: string[] };
      expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
      const off = await template([
        '--set',
        'podDisruptionBudget.enabled=false,networkPolicy.enabled=false,dashboards.enabled=false',
      ]);
      expect(off.map((m) => m.kind)).not.toContain('PodDisruptionBudget');
      expect(off.map((m) => m.kind)).not.toContain('NetworkPolicy');
      expect(off.filter((m) => m.metadata.name.includes('-dashboard-'))).toEqual([]);
    });

    it('render the CRDs as templates with crds.manage, kept on uninstall, the same as crds/', async () => {
      expect((await template()).map((m) => m.kind)).not.toContain('CustomResourceDefinition');
      const crds = (await template(['--set', 'crds.manage=true'])).filter(
        (m) => m.kind === 'CustomResourceDefinition',
      );
      const files = readdirSync(`${CHART}crds`).sort();
      expect(crds.map((c) => `${c.metadata.name}.yaml`).sort()).toEqual(files);
      for (const crd of crds) {
        expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
        const file = parse(readFileSync(`${CHART}crds/${crd.metadata.name}.yaml`, 'utf8')) as {
          spec: unknown;
        };
        expect(crd['spec']).toEqual(file.spec);
      }
    });

    it('read the Redis URLs and the JWKS from Secrets when told to', async () => {
      const manifests = await template([
        '--set',
        'operator.redis.existingSecret.name=redis,operator.budgets.existingSecret.name=budget-redis',
        '--set',
        'operator.auth.jwksSecret.name=issuer-keys,operator.auth.jwksSecret.key=keys.json',
      ]);
      const data = settingsData(manifests);
      expect(data).not.toHaveProperty('INFERENCE_REDIS_URL');
      expect(data).not.toHaveProperty('INFERENCE_BUDGET_REDIS_URL');
      expect(data['INFERENCE_AUTH_JWKS_FILE']).toBe('/etc/inference-jwks/jwks.json');
      const spec = podSpec(find(manifests, 'Deployment'));
      const env = spec.containers[0]!.env ?? [];
      expect(env.find((e) => e.name === 'INFERENCE_REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({
        name: 'redis',
        key: 'redis-url',
      });
      expect(
        env.find((e) => e.name === 'INFERENCE_BUDGET_REDIS_URL')?.valueFrom?.secretKeyRef,
      ).toEqual({ name: 'budget-redis', key: 'redis-url' });
      expect(spec.volumes?.find((v) => v.name === 'jwks')?.secret?.secretName).toBe('issuer-keys');
      expect(spec.containers[0]!.volumeMounts).toContainEqual(
        expect.objectContaining({ name: 'jwks', mountPath: '/etc/inference-jwks' }),
      );
    });
  },
);
