/**
 * The namespace's dataplane gateway: a Deployment mounting the config contract and its
 * Service. The pod template carries no checksum of the config: the gateway hot-reloads the
 * mounted files, so a config change must not restart pods.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { GatewayWorkloadSettings } from '../settings.ts';
import type { KubeObject } from '../runtime/objects.ts';
import {
  childLabels,
  GATEWAY_NAMES,
  GATEWAY_OWNER,
  GATEWAY_SELECTOR,
  SERVICE_PORT,
} from './labels.ts';
import { lower } from './lower.ts';
import { pullPolicy, quantities } from './model-server.ts';

/** Where the contract is mounted; CONFIG_DIR points here. */
export const CONFIG_DIR = '/etc/inference';
const GATEWAY_PORT = 8080;

/**
 * @param tlsSecret the Secret the gateway serves TLS with (cert-manager's layout), mounted at
 *   `tls/` of the contract; its probes then speak HTTPS. Undefined: plain HTTP.
 */
export function renderGateway(
  namespace: string,
  settings: GatewayWorkloadSettings,
  tlsSecret?: string,
): KubeObject[] {
  const labels = childLabels(GATEWAY_OWNER, { ...GATEWAY_SELECTOR });
  return lower((chart) => {
    const deployment = new kplus.Deployment(chart, 'gateway', {
      metadata: { name: GATEWAY_NAMES.deployment, namespace, labels },
      replicas: settings.replicas,
      select: false,
      podMetadata: { labels: { ...GATEWAY_SELECTOR } },
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true },
    });
    deployment.select(kplus.LabelSelector.of({ labels: { ...GATEWAY_SELECTOR } }));
    const env: Record<string, string> = {
      ...settings.env,
      CONFIG_DIR,
      HOST: '0.0.0.0',
      PORT: String(GATEWAY_PORT),
      REDIS_URL: settings.redisUrl,
    };
    const scheme = tlsSecret === undefined ? {} : { scheme: kplus.ConnectionScheme.HTTPS };
    const container = deployment.addContainer({
      name: 'gateway',
      image: settings.image,
      imagePullPolicy: pullPolicy(settings.imagePullPolicy),
      ports: [{ number: GATEWAY_PORT, name: 'http' }],
      envVariables: Object.fromEntries(
        Object.entries(env)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]),
      ),
      securityContext: {
        ensureNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      },
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: GATEWAY_PORT, ...scheme }),
      liveness: kplus.Probe.fromHttpGet('/livez', { port: GATEWAY_PORT, ...scheme }),
      startup: kplus.Probe.fromHttpGet('/livez', { port: GATEWAY_PORT, ...scheme }),
    });
    const mount = (path: string, volume: kplus.Volume): void => {
      container.mount(path, volume, { readOnly: true });
    };
    mount(
      CONFIG_DIR,
      kplus.Volume.fromConfigMap(
        chart,
        'config',
        kplus.ConfigMap.fromConfigMapName(chart, 'config-ref', GATEWAY_NAMES.config),
        { name: 'config' },
      ),
    );
    mount(
      `${CONFIG_DIR}/prompts`,
      kplus.Volume.fromConfigMap(
        chart,
        'prompts',
        kplus.ConfigMap.fromConfigMapName(chart, 'prompts-ref', GATEWAY_NAMES.prompts),
        { name: 'prompts' },
      ),
    );
    mount(
      `${CONFIG_DIR}/keys`,
      kplus.Volume.fromSecret(
        chart,
        'keys',
        kplus.Secret.fromSecretName(chart, 'keys-ref', GATEWAY_NAMES.keys),
        { name: 'keys' },
      ),
    );
    mount(
      `${CONFIG_DIR}/credentials`,
      kplus.Volume.fromSecret(
        chart,
        'credentials',
        kplus.Secret.fromSecretName(chart, 'credentials-ref', GATEWAY_NAMES.credentials),
        { name: 'credentials' },
      ),
    );
    // Always mounted (empty without tls targets), so a route's first tls block restarts no pod.
    mount(
      `${CONFIG_DIR}/upstream-tls`,
      kplus.Volume.fromSecret(
        chart,
        'upstream-tls',
        kplus.Secret.fromSecretName(chart, 'upstream-tls-ref', GATEWAY_NAMES.upstreamTls),
        { name: 'upstream-tls' },
      ),
    );
    if (tlsSecret !== undefined) {
      mount(
        `${CONFIG_DIR}/tls`,
        kplus.Volume.fromSecret(
          chart,
          'tls',
          kplus.Secret.fromSecretName(chart, 'tls-ref', tlsSecret),
          { name: 'tls' },
        ),
      );
    }
    container.mount('/tmp', kplus.Volume.fromEmptyDir(chart, 'tmp', 'tmp'));
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/resources', quantities(settings.resources)),
    );
    new kplus.Service(chart, 'service', {
      metadata: { name: GATEWAY_NAMES.service, namespace, labels },
      ports: [{ port: SERVICE_PORT, targetPort: GATEWAY_PORT, name: 'http' }],
      selector: kplus.Pods.select(chart, 'pods', { labels: { ...GATEWAY_SELECTOR } }),
    });
  });
}
