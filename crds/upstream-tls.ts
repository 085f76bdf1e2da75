/**
 * A ProviderRoute target's outbound TLS (`targets[].tls`): the CA bundle the gateway trusts for
 * that upstream, the client certificate it presents (mTLS) and the name it verifies. Both sides
 * of the config contract read the file names from here: the operator copies each referenced
 * Secret key into the Secret `inference-upstream-tls`, mounted at `upstream-tls/`, and the
 * dataplane reads them back under the same names.
 */
import { Type, type Static } from '@sinclair/typebox';
import { cel, DNS_SUBDOMAIN, Struct } from './common.ts';

function Source(description: string) {
  return Struct(
    {
      secretName: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
          description: 'A Secret in the route namespace, in the layout cert-manager writes.',
        }),
      ),
      gateway: Type.Optional(
        Type.Boolean({
          description:
            'true: the operator-issued material of the gateway (INFERENCE_TLS=operator), from the Secret inference-tls-client, renewed by the operator.',
        }),
      ),
    },
    {
      description,
      ...cel({
        rule: 'has(self.secretName) != (has(self.gateway) && self.gateway)',
        message: 'Set exactly one of secretName and gateway: true.',
      }),
    },
  );
}

export const UpstreamTls = Struct(
  {
    ca: Type.Optional(
      Source(
        "The CA bundle that verifies the upstream's certificate (key ca.crt), instead of the system's trusted CAs.",
      ),
    ),
    clientCertificate: Type.Optional(
      Source(
        'The client certificate the gateway presents (keys tls.crt, the chain leaf first, and tls.key): mTLS.',
      ),
    ),
    serverName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
        description:
          "The name sent as SNI and that the upstream's certificate must carry; defaults to the host of baseURL.",
      }),
    ),
  },
  {
    description:
      'TLS towards this target: a private CA, a client certificate, a server name. Needs an https:// baseURL; material that is missing or invalid makes the gateway refuse the config (the served one stays), never a plaintext call.',
    ...cel({
      rule: 'has(self.ca) || has(self.clientCertificate) || has(self.serverName)',
      message: 'tls must set at least one of ca, clientCertificate and serverName.',
    }),
  },
);
export type UpstreamTls = Static<typeof UpstreamTls>;

/** The contract folder of the material, and the Secret the operator renders it into. */
export const UPSTREAM_TLS_PREFIX = 'upstream-tls/';

/**
 * The gateway's own material under `upstream-tls/`. No Secret-derived name can collide with
 * these: those are all `<secret>__<key>`, and a Secret name holds no `_`.
 */
export const GATEWAY_UPSTREAM_FILES = {
  ca: 'gateway-ca.crt',
  cert: 'gateway-client.crt',
  key: 'gateway-client.key',
} as const;

/** Keys of a cert-manager Secret that each part is read from. */
export const SECRET_KEYS = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

export type UpstreamPart = keyof typeof SECRET_KEYS;

/** One file of `upstream-tls/`, and where it comes from. */
export interface UpstreamFile {
  part: UpstreamPart;
  /** The key in `inference-upstream-tls` (a file name under `upstream-tls/`). */
  file: string;
  /** The Secret and key it is copied from; undefined: the gateway's own material. */
  from: { secretName: string; key: string } | undefined;
}

/** The files a target's `tls` block needs, in the order ca, cert, key. */
export function upstreamFiles(tls: UpstreamTls): UpstreamFile[] {
  const out: UpstreamFile[] = [];
  const add = (part: UpstreamPart, source: { secretName?: string } | undefined) => {
    if (source === undefined) return;
    const key = SECRET_KEYS[part];
    out.push(
      source.secretName === undefined
        ? { part, file: GATEWAY_UPSTREAM_FILES[part], from: undefined }
        : {
            part,
            file: `${source.secretName}__${key}`,
            from: { secretName: source.secretName, key },
          },
    );
  };
  add('ca', tls.ca);
  add('cert', tls.clientCertificate);
  add('key', tls.clientCertificate);
  return out;
}
