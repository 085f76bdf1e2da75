/**
 * Where the gateway's TLS certificates come from (controllers/certificates.ts): none, a CA
 * the operator keeps and issues from, or a Secret that a cert-manager Certificate the user
 * owns writes (the operator then only reads it and mounts it).
 */
import type { GatewaySettings } from '../../crds/gateway-settings.ts';
import type { SettingSpec } from './settings.ts';

export type TlsSource =
  | { kind: 'off' }
  | {
      kind: 'operator';
      caLifetimeMs: number;
      certificateLifetimeMs: number;
      /** SPIFFE trust domain of the client certificate's identity. */
      trustDomain: string;
    }
  | { kind: 'cert-manager'; secretName: string };

export const TLS_SETTINGS: readonly SettingSpec[] = [
  {
    env: 'INFERENCE_TLS',
    default: 'off',
    description:
      "The gateway's TLS certificates: off (plain HTTP), operator (a CA in the Secret inference-tls-ca issues inference-tls and inference-tls-client, renewed at two thirds of their lifetime) or cert-manager (INFERENCE_TLS_SECRET, written by a Certificate you own; only read). gateway.yaml tls.enabled follows it.",
  },
  {
    env: 'INFERENCE_TLS_SECRET',
    default: '',
    description:
      'With INFERENCE_TLS=cert-manager: the Secret (tls.crt, tls.key, ca.crt) in each namespace that the gateway serves with.',
  },
  {
    env: 'INFERENCE_TLS_CA_LIFETIME_MS',
    default: '31536000000',
    description:
      'With INFERENCE_TLS=operator: lifetime of the CA (365 days); a new CA is published at two thirds of it and signs INFERENCE_RESUME_KEY_PROPAGATION_MS later.',
  },
  {
    env: 'INFERENCE_TLS_CERTIFICATE_LIFETIME_MS',
    default: '2592000000',
    description:
      'With INFERENCE_TLS=operator: lifetime of the serving and client certificates (30 days), renewed at two thirds of it; at most a third of the CA lifetime.',
  },
  {
    env: 'INFERENCE_TLS_TRUST_DOMAIN',
    default: 'cluster.local',
    description:
      'With INFERENCE_TLS=operator: SPIFFE trust domain of the client certificate (spiffe://<domain>/ns/<namespace>/sa/inference-client).',
  },
];

/** The TLS source, read with loadSettings' readers; `gateway` is checked against it. */
export function readTlsSource(
  get: (name: string) => string,
  int: (name: string, min?: number) => number,
  gateway: GatewaySettings,
  fail: (message: string) => Error,
): TlsSource {
  const kind = get('INFERENCE_TLS');
  if (kind === 'off') {
    if (gateway.tls.clientCertificates !== 'off')
      throw fail('INFERENCE_GATEWAY_SETTINGS tls.clientCertificates needs INFERENCE_TLS.');
    return { kind };
  }
  if (kind === 'cert-manager') {
    const secretName = get('INFERENCE_TLS_SECRET');
    if (secretName === '') throw fail('INFERENCE_TLS=cert-manager needs INFERENCE_TLS_SECRET.');
    return { kind, secretName };
  }
  if (kind !== 'operator')
    throw fail(`INFERENCE_TLS must be off, operator or cert-manager; got "${kind}".`);
  // Minimums as short as a test needs to see renewals; production keeps days and months.
  const caLifetimeMs = int('INFERENCE_TLS_CA_LIFETIME_MS', 9000);
  const certificateLifetimeMs = int('INFERENCE_TLS_CERTIFICATE_LIFETIME_MS', 3000);
  if (certificateLifetimeMs * 3 > caLifetimeMs) {
    throw fail(
      'INFERENCE_TLS_CERTIFICATE_LIFETIME_MS must be at most a third of INFERENCE_TLS_CA_LIFETIME_MS (a CA renews at two thirds).',
    );
  }
  return {
    kind,
    caLifetimeMs,
    certificateLifetimeMs,
    trustDomain: get('INFERENCE_TLS_TRUST_DOMAIN'),
  };
}
