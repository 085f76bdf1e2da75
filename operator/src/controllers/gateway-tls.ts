/**
 * The gateway's TLS, as the gateway reconcile renders it (settings: tls-settings.ts): which
 * Secret the gateway mounts at tls/, the certificate Secrets the operator issues when it keeps
 * the CA (certificates.ts), gateway.yaml's `tls.enabled`, and the expiry gauges.
 */
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { GATEWAY_NAMES } from '../render/labels.ts';
import { renderCertificates } from '../render/tls.ts';
import type { KubeObject } from '../runtime/objects.ts';
import type { TlsSource } from '../tls-settings.ts';
import {
  decideCertificates,
  type CaFiles,
  type FreshCertificateKeys,
  type TlsFiles,
} from './certificates.ts';
import type { ChildEvent, GaugeSample } from './types.ts';
import type { GatewayClientFiles } from './upstream-tls.ts';

export interface GatewayTlsObserved {
  namespace: string;
  source: TlsSource;
  /** Decoded data of the Secrets in play: the operator's three, or the user's as `serving`. */
  existing: { ca?: Partial<CaFiles>; serving?: Partial<TlsFiles>; client?: Partial<TlsFiles> };
  /** Drawn by the observe when the operator issues (INFERENCE_TLS=operator). */
  fresh: FreshCertificateKeys | undefined;
  now: Date;
  propagationMs: number;
}

export interface GatewayTls {
  /** The Secret mounted at tls/; undefined: plain HTTP. */
  secretName: string | undefined;
  /** Its files, for the contract checksum. */
  files: Record<string, string> | undefined;
  /**
   * The client certificate issued in this pass (INFERENCE_TLS=operator), with its CA bundle:
   * what a route target's `tls: {clientCertificate: {gateway: true}}` presents upstream.
   */
  clientFiles: GatewayClientFiles | undefined;
  /** Secrets to apply (only when the operator issues). */
  objects: KubeObject[];
  gauges: GaugeSample[];
  /** An Event on a certificate Secret for each change of this pass. */
  events: ChildEvent[];
  nextChangeMs: number | undefined;
}

/** The gateway's TLS for this pass. */
export function gatewayTlsPolicy(o: GatewayTlsObserved): GatewayTls {
  const { source, namespace } = o;
  if (source.kind === 'off') {
    return NO_TLS;
  }
  if (source.kind === 'cert-manager') {
    // The user's Secret, read only: mounted, and its files counted in the checksum. Until
    // cert-manager has written it the gateway refuses the contract (tls/ is missing).
    const files = Object.fromEntries(
      Object.entries(o.existing.serving ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    return { ...NO_TLS, secretName: source.secretName, files };
  }
  if (o.fresh === undefined) throw new Error('The observe drew no certificate keys.');
  const service = GATEWAY_NAMES.service;
  const decision = decideCertificates({
    existing: o.existing,
    names: {
      serving: {
        commonName: service,
        dns: [service, `${service}.${namespace}`, `${service}.${namespace}.svc`],
      },
      client: {
        commonName: 'inference-client',
        uris: [`spiffe://${source.trustDomain}/ns/${namespace}/sa/inference-client`],
      },
    },
    fresh: o.fresh,
    now: o.now,
    settings: {
      caLifetimeMs: source.caLifetimeMs,
      leafLifetimeMs: source.certificateLifetimeMs,
      propagationMs: o.propagationMs,
    },
  });
  const gauge = (secret: string, notAfter: number): GaugeSample => ({
    gauge: 'tlsSecretExpiry',
    labels: { namespace, secret },
    value: notAfter / 1000,
  });
  return {
    secretName: GATEWAY_NAMES.tls,
    files: { ...decision.serving },
    clientFiles: { ...decision.client },
    objects: renderCertificates(namespace, decision),
    gauges: [
      gauge(GATEWAY_NAMES.tlsCa, decision.notAfter.ca),
      gauge(GATEWAY_NAMES.tls, decision.notAfter.serving),
      gauge(GATEWAY_NAMES.tlsClient, decision.notAfter.client),
    ],
    events: decision.changes.map(({ reason, secret, message }) => ({
      kind: 'Secret',
      name: SECRETS[secret],
      event: { type: 'Normal', reason, note: message, action: 'Issue' },
    })),
    nextChangeMs: decision.nextChangeMs,
  };
}

const NO_TLS: GatewayTls = {
  secretName: undefined,
  files: undefined,
  clientFiles: undefined,
  objects: [],
  gauges: [],
  events: [],
  nextChangeMs: undefined,
};

const SECRETS = {
  ca: GATEWAY_NAMES.tlsCa,
  serving: GATEWAY_NAMES.tls,
  client: GATEWAY_NAMES.tlsClient,
} as const;

/** gateway.yaml with `tls.enabled` exactly when the gateway has a certificate to serve. */
export function withTls(config: GatewaySettings, tls: GatewayTls): GatewaySettings {
  return { ...config, tls: { ...config.tls, enabled: tls.secretName !== undefined } };
}
