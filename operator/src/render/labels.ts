/**
 * Names and labels of everything the operator renders. Names are deterministic (the same
 * resource always renders the same names), so a child deleted by hand comes back as itself.
 */
import { createHash } from 'node:crypto';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'inference-operator';
export const OWNER_LABEL = 'inference.enis.io/owner';
export const COMPONENT = 'app.kubernetes.io/component';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const MODEL_LABEL = 'inference.enis.io/model';
export const VERSION_LABEL = 'inference.enis.io/model-version';

/** Checksum of the rendered config contract, on the `inference-config` ConfigMap only. */
export const CONFIG_CHECKSUM_ANNOTATION = 'inference.enis.io/config-checksum';
/**
 * When the operator first rendered that checksum (ISO 8601), beside it: kept while the checksum
 * stays, so it survives resyncs and restarts. The start of the config propagation SLI.
 */
export const CONFIG_RENDERED_AT_ANNOTATION = 'inference.enis.io/config-rendered-at';
/** Hash of what the operator last applied to a child: a changed desired state re-applies. */
export const APPLIED_HASH_ANNOTATION = 'inference.enis.io/applied-hash';
/** Provider hosts the gateway may reach (NetworkPolicy cannot name hosts). */
export const EGRESS_HOSTS_ANNOTATION = 'inference.enis.io/egress-hosts';
/** Hosts the routes name that air-gapped mode keeps the gateway from reaching. */
export const EGRESS_BLOCKED_ANNOTATION = 'inference.enis.io/egress-blocked-hosts';

/** Owner label value of the namespace's shared children (gateway, config contract, policies). */
export const GATEWAY_OWNER = 'gateway';

/** Deterministic names of the namespace-level children. */
export const GATEWAY_NAMES = {
  deployment: 'inference-gateway',
  service: 'inference-gateway',
  config: 'inference-config',
  prompts: 'inference-prompts',
  keys: 'inference-keys',
  credentials: 'inference-credentials',
  egressPolicy: 'inference-gateway-egress',
  /** The CA the operator issues the gateway's certificates from (INFERENCE_TLS=operator). */
  tlsCa: 'inference-tls-ca',
  /** The gateway's serving certificate, mounted at tls/ of the contract. */
  tls: 'inference-tls',
  /** A client certificate for the namespace's callers (mTLS), with the same CA bundle. */
  tlsClient: 'inference-tls-client',
  /** The routes' upstream TLS material (CA bundles, client certificates): upstream-tls/. */
  upstreamTls: 'inference-upstream-tls',
} as const;

/** When a rendered certificate Secret's `tls.crt` expires (ISO 8601), for `kubectl get`. */
export const NOT_AFTER_ANNOTATION = 'inference.enis.io/not-after';

/**
 * The same expiry, and when the operator replaces the certificate, as labels for `kubectl get
 * secret -L`: label values hold no `:`, so the time is ISO 8601's basic format in UTC
 * (`20261202T044200Z`), which sorts as the time does.
 */
export const NOT_AFTER_LABEL = 'inference.enis.io/not-after';
export const RENEW_AT_LABEL = 'inference.enis.io/renew-at';

/** `20261202T044200Z`: a label-safe UTC timestamp, to the second. */
export function labelTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

const hash = (text: string, length: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * A valid label value (at most 63 characters of [a-z0-9.-], alphanumeric at both ends) that
 * identifies `text`: the text itself when it fits, else a prefix and a hash.
 */
export function labelSafe(text: string): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  if (clean.length <= 63 && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(clean)) return clean;
  const prefix = clean
    .slice(0, 52)
    .replace(/[^a-z0-9]+$/, '')
    .replace(/^[^a-z0-9]+/, '');
  return `${prefix}${prefix === '' ? '' : '-'}${hash(text, 10)}`;
}

/** Owner label value of a resource's own children: `inferencemodel.phi-3-mini`. */
export function ownerValue(kind: string, name: string): string {
  return labelSafe(`${kind.toLowerCase()}.${name}`);
}

/**
 * A DNS-1035 label (what a Service name must be: lowercase alphanumerics and `-`, starting with
 * a letter, at most 63) made of prefix and name.
 */
export function serviceSafeName(prefix: string, name: string): string {
  const candidate = `${prefix}-${name.replaceAll('.', '-')}`;
  if (candidate.length <= 63) return candidate;
  return `${candidate.slice(0, 52).replace(/-+$/, '')}-${hash(name, 10)}`;
}

/** Labels every child carries. */
export function childLabels(
  owner: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [MANAGED_BY]: MANAGER, [OWNER_LABEL]: owner, ...extra };
}

/** Pod labels of the gateway; also its Deployment's selector (immutable: never change them). */
export const GATEWAY_SELECTOR = {
  [NAME_LABEL]: 'inference-gateway',
  [COMPONENT]: 'gateway',
} as const;

/** Pod selector of one model's servers (immutable). */
export function modelSelector(modelName: string): Record<string, string> {
  return { [COMPONENT]: 'model-server', [MODEL_LABEL]: labelSafe(modelName) };
}

/** Deterministic names of a model's children. */
export function modelNames(modelName: string): { deployment: string; service: string } {
  const name = serviceSafeName('model', modelName);
  return { deployment: name, service: name };
}

/** Port every model server's Service listens on (and the gateway's). */
export const SERVICE_PORT = 8080;
