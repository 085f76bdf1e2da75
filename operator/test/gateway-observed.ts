/**
 * The gateway reconcile's input for table tests: the samples in namespace `team`, and a helper
 * that lays the rendered ConfigMaps and Secrets out as a gateway pod would see them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseGatewayConfig } from '../src/settings.ts';
import type { FreshAuditKeys } from '../src/controllers/audit-keys.ts';
import type { GatewayObserved } from '../src/controllers/gateway.ts';
import type { KubeObject } from '../src/runtime/objects.ts';
import { budget, mcp, model, prompt, refs, route } from './fixtures.ts';

export const JWKS = JSON.stringify({
  keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }],
});
export const NOW = new Date('2026-11-26T12:00:00Z');
export const fresh = {
  kid: 'resume-1',
  secret: Buffer.alloc(32, 7).toString('base64url'),
  createdAt: NOW.toISOString(),
};
export const freshAudit: FreshAuditKeys = {
  key: {
    kid: 'audit-1',
    privateKey: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64url'),
    createdAt: NOW.toISOString(),
  },
  contentKey: Buffer.alloc(32, 9).toString('base64url'),
};

export function observed(
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
    freshAuditKeys: freshAudit,
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
      auditKeys: { rotationPeriodMs: 30 * 86_400_000, propagationMs: 90_000 },
      jwks: JWKS,
      pricing: undefined,
      airGapped: false,
      ...settings,
    },
    ...extra,
  };
}

export const find = (
  objects: KubeObject[],
  kind: string,
  name: string,
): KubeObject & Record<string, unknown> => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (object === undefined) throw new Error(`${kind}/${name} not rendered`);
  return object;
};

/** The files a gateway pod would see, from the rendered ConfigMaps and Secrets. */
export function mountedFiles(objects: KubeObject[]): Map<string, string> {
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
  for (const [k, v] of Object.entries(data('Secret', 'inference-upstream-tls')))
    files.set(`upstream-tls/${k}`, decode(v));
  return files;
}
