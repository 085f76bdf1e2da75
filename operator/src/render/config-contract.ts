/**
 * The config contract (DESIGN §4, dataplane/src/config/contract.ts) as Kubernetes objects:
 * ConfigMap `inference-config` (gateway.yaml, routes.yaml, budgets.yaml, mcp.yaml when the
 * chart's mcp.enabled, and pricing.yaml when the operator has a pricing file), ConfigMap
 * `inference-prompts` (one `<name>.yaml` per accepted PromptManifest), Secret `inference-keys`
 * (keys/jwks.json, keys/resume.json, keys/audit.json) and Secret `inference-credentials` (one
 * `<secret>__<key>` per referenced credential) and Secret `inference-upstream-tls` (the routes'
 * upstream CA bundles and client certificates, crds/upstream-tls.ts). The checksum is computed exactly as the
 * dataplane computes its snapshot's (SHA-256 over every file's path and content), so status
 * and the dataplane's /readyz can be compared.
 */
import { createHash } from 'node:crypto';
import * as kplus from 'cdk8s-plus-33';
import { stringify } from 'yaml';
import type { ProviderRouteSpec } from '../../../crds/provider-route.ts';
import type { TenantBudgetSpec } from '../../../crds/tenant-budget.ts';
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { UPSTREAM_TLS_PREFIX } from '../../../crds/upstream-tls.ts';
import type { KubeObject } from '../runtime/objects.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  CONFIG_RENDERED_AT_ANNOTATION,
  childLabels,
  GATEWAY_NAMES,
  GATEWAY_OWNER,
} from './labels.ts';
import { lower } from './lower.ts';

export interface ContractInputs {
  gateway: GatewaySettings;
  routes: readonly ProviderRouteSpec[];
  budgets: readonly TenantBudgetSpec[];
  /** mcp.yaml (dataplane/src/config/contract.ts `McpFile`); unset: none, MCP is off. */
  mcp?: unknown;
  /** pricing.yaml as the operator's pricing file holds it (verified at start); unset: none. */
  pricing?: string | undefined;
  /** Manifest name → the file's YAML. */
  prompts: ReadonlyMap<string, string>;
  /** keys/jwks.json */
  jwks: string;
  /** keys/jwks-removed.json: when retained keys left the JWKS source (controllers/jwks.ts). */
  jwksRemoved?: string | undefined;
  /** keys/resume.json */
  resumeKeys: string;
  /** keys/audit.json */
  auditKeys: string;
  /** `<secret>__<key>` → base64 value, copied from the referenced Secret. */
  credentials: ReadonlyMap<string, string>;
  /**
   * `tls/tls.crt`, `tls/tls.key`, `tls/ca.crt` as text: the Secret the gateway mounts at tls/
   * (rendered apart, or the user's); here only so that the checksum is the dataplane's.
   */
  tls?: Readonly<Record<string, string>> | undefined;
  /** `upstream-tls/<file>` → PEM: the rendered routes' tls material (`upstreamTlsContract`). */
  upstreamTls?: ReadonlyMap<string, string> | undefined;
}

const yaml = (value: unknown): string => stringify(value, { lineWidth: 0 });

/** Every file of the contract, relative path → content, as the dataplane reads them. */
export function contractFiles(inputs: ContractInputs): Map<string, string> {
  const files = new Map<string, string>();
  files.set('gateway.yaml', yaml(inputs.gateway));
  files.set(
    'routes.yaml',
    yaml({ routes: [...inputs.routes].sort((a, b) => compare(a.alias, b.alias)) }),
  );
  files.set(
    'budgets.yaml',
    yaml({ budgets: [...inputs.budgets].sort((a, b) => compare(a.tenant, b.tenant)) }),
  );
  if (inputs.mcp !== undefined) files.set('mcp.yaml', yaml(inputs.mcp));
  if (inputs.pricing !== undefined) files.set('pricing.yaml', inputs.pricing);
  for (const [name, text] of inputs.prompts) files.set(`prompts/${name}.yaml`, text);
  files.set('keys/jwks.json', inputs.jwks);
  if (inputs.jwksRemoved !== undefined) files.set('keys/jwks-removed.json', inputs.jwksRemoved);
  files.set('keys/resume.json', inputs.resumeKeys);
  files.set('keys/audit.json', inputs.auditKeys);
  for (const [key, value] of inputs.credentials) {
    files.set(`credentials/${key}`, Buffer.from(value, 'base64').toString('utf8'));
  }
  for (const [key, text] of Object.entries(inputs.tls ?? {})) files.set(`tls/${key}`, text);
  for (const [file, text] of inputs.upstreamTls ?? [])
    files.set(`${UPSTREAM_TLS_PREFIX}${file}`, text);
  return files;
}

/** The dataplane's snapshot checksum of these files (dataplane/src/config/read-tree.ts). */
export function configChecksum(files: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [path, text] of sorted) hash.update(`${path}\0${text}\0`);
  return `sha256:${hash.digest('hex')}`;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What the `inference-config` ConfigMap says now: its checksum and when it was rendered. */
export interface RenderStamp {
  checksum?: string | undefined;
  renderedAt?: string | undefined;
}

/**
 * When a contract with this checksum was first rendered: the existing stamp's time while the
 * checksum is unchanged, else now.
 */
export function renderedAt(checksum: string, existing: RenderStamp | undefined, now: Date): string {
  return existing?.checksum === checksum && existing.renderedAt !== undefined
    ? existing.renderedAt
    : now.toISOString();
}

/**
 * The two ConfigMaps and three Secrets, and the checksum they add up to. `inference-config`
 * carries the checksum and its render time (`renderedAt`), which the files, and so the
 * checksum, leave out.
 */
export function renderContract(
  namespace: string,
  inputs: ContractInputs,
  stamp: { existing?: RenderStamp | undefined; now: Date },
): { objects: KubeObject[]; checksum: string; renderedAt: string; files: Map<string, string> } {
  const files = contractFiles(inputs);
  const checksum = configChecksum(files);
  const rendered = renderedAt(checksum, stamp.existing, stamp.now);
  const labels = childLabels(GATEWAY_OWNER);
  const data = (prefix: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [path, text] of files) {
      if (prefix === '' ? !path.includes('/') : path.startsWith(prefix))
        out[path.slice(prefix.length)] = text;
    }
    return out;
  };
  const base64 = (record: Record<string, string>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(record).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    );
  const objects = lower((chart) => {
    new kplus.k8s.KubeConfigMap(chart, 'config', {
      metadata: {
        name: GATEWAY_NAMES.config,
        namespace,
        labels,
        annotations: {
          [CONFIG_CHECKSUM_ANNOTATION]: checksum,
          [CONFIG_RENDERED_AT_ANNOTATION]: rendered,
        },
      },
      data: data(''),
    });
    new kplus.k8s.KubeConfigMap(chart, 'prompts', {
      metadata: { name: GATEWAY_NAMES.prompts, namespace, labels },
      data: data('prompts/'),
    });
    new kplus.k8s.KubeSecret(chart, 'keys', {
      metadata: { name: GATEWAY_NAMES.keys, namespace, labels },
      type: 'Opaque',
      data: base64(data('keys/')),
    });
    new kplus.k8s.KubeSecret(chart, 'credentials', {
      metadata: { name: GATEWAY_NAMES.credentials, namespace, labels },
      type: 'Opaque',
      // Copied byte for byte: the referenced Secret's base64 value, not a re-encoding.
      data: Object.fromEntries(inputs.credentials),
    });
    new kplus.k8s.KubeSecret(chart, 'upstream-tls', {
      metadata: { name: GATEWAY_NAMES.upstreamTls, namespace, labels },
      type: 'Opaque',
      data: base64(data(UPSTREAM_TLS_PREFIX)),
    });
  });
  return { objects, checksum, renderedAt: rendered, files };
}
