/**
 * `egress:` in gateway.yaml, and what both sides mean by "in the cluster": the operator's
 * NetworkPolicy and the dataplane's egress guard (docs/air-gapped.md) classify hosts with the
 * same function, so a route the operator accepts in air-gapped mode is one the guard lets out.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Private and unique-local ranges: where pod and Service addresses live on common clusters. */
export const DEFAULT_CLUSTER_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

/**
 * The cloud metadata endpoints (AWS, GCP, Azure on IPv4; AWS on IPv6). No egress rule of the
 * operator's reaches them and the guard refuses them unless `allowHosts` names them.
 */
export const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254'];

/** A hostname, `*.` and a domain (any name below it), or an IP literal. */
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9_.:-]{1,253}$';

export const EgressSettings = Type.Object(
  {
    airGapped: Type.Boolean({
      default: false,
      description:
        'Only in-cluster names and addresses (and Redis, loopback): every other connection is refused with UPSTREAM_UNAVAILABLE, reason egress_denied. The operator sets it from its own air-gapped switch. Read per connection.',
    }),
    allowHosts: Type.Array(Type.String({ pattern: HOST_PATTERN }), {
      maxItems: 256,
      default: [],
      description:
        'Hosts the gateway may reach beyond those its config names (route targets, the tracing collector, Redis); `*.example.com` allows every name below it. Ignored when air-gapped. Read per connection.',
    }),
    clusterCidrs: Type.Array(Type.String({ pattern: '^[0-9a-fA-F.:]+/[0-9]{1,3}$' }), {
      maxItems: 64,
      default: DEFAULT_CLUSTER_CIDRS,
      description:
        'Addresses that count as in the cluster (pods, Services): an in-cluster name must resolve into them when air-gapped. Read per connection.',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'The egress guard: which hosts the gateway may connect to (docs/air-gapped.md).',
  },
);
export type EgressSettings = Static<typeof EgressSettings>;

/**
 * Service DNS names: a bare name (`redis`), `….svc` or `….cluster.local`. The short form
 * `svc.ns` cannot be told from a public domain, so it counts as external.
 */
export function isInCluster(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name.includes(':') || /^\d+(\.\d+){3}$/.test(name)) return false;
  return !name.includes('.') || name.endsWith('.svc') || name.endsWith('.cluster.local');
}
