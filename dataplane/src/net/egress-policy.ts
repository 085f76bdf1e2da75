/**
 * Which hosts the gateway may connect to: a pure decision over a host before it is resolved
 * and over each address it resolves to. Always allowed: loopback (the pod itself) and the
 * infrastructure the process was started with (Redis). Air-gapped: in-cluster names that
 * resolve into the cluster's CIDRs, and addresses in them; nothing else. Otherwise: those, plus
 * the hosts the config names (route targets, the tracing collector) and `egress.allowHosts`.
 * Link-local addresses (the cloud metadata endpoint among them) only as a literal a host list
 * names, never through a name that resolves to one.
 */
import { BlockList, isIP } from 'node:net';
import { isInCluster } from '../../../crds/egress-settings.ts';

export type DenialReason =
  /** Air-gapped: a name outside the cluster, or an address outside its CIDRs. */
  | 'not_in_cluster'
  /** Air-gapped: an in-cluster name that resolved outside the cluster's CIDRs. */
  | 'resolves_outside_cluster'
  /** Not air-gapped: a host neither the config nor `egress.allowHosts` names. */
  | 'not_listed'
  /** A link-local address (the cloud metadata endpoint) no host list names. */
  | 'link_local';

export type EgressVerdict = { allowed: true } | { allowed: false; reason: DenialReason };

export interface EgressPolicy {
  readonly airGapped: boolean;
  /** Names and IP literals allowed exactly (lowercase), when not air-gapped. */
  readonly hosts: ReadonlySet<string>;
  /** `*.example.com` entries as `.example.com`, when not air-gapped. */
  readonly suffixes: readonly string[];
  /** Allowed in every mode, at any address: Redis. */
  readonly infrastructure: ReadonlySet<string>;
  readonly cluster: BlockList;
}

export interface PolicyInput {
  airGapped: boolean;
  /** `egress.allowHosts` and the hosts the config names. */
  hosts: readonly string[];
  infrastructure: readonly string[];
  clusterCidrs: readonly string[];
}

const ALLOWED: EgressVerdict = { allowed: true };
const deny = (reason: DenialReason): EgressVerdict => ({ allowed: false, reason });

const LOOPBACK = subnets(['127.0.0.0/8', '::1/128']);
const LINK_LOCAL = subnets(['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128']);

/** A host as the policy compares it: lowercase, no IPv6 brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

export function buildPolicy(input: PolicyInput): EgressPolicy {
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of input.hosts.map(normalizeHost)) {
    if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else if (entry !== '') hosts.add(entry);
  }
  return {
    airGapped: input.airGapped,
    hosts,
    suffixes,
    infrastructure: new Set(input.infrastructure.map(normalizeHost)),
    cluster: subnets(input.clusterCidrs),
  };
}

/** May a connection to `host` (a name or an IP literal) start? Decided before any lookup. */
export function checkHost(policy: EgressPolicy, rawHost: string): EgressVerdict {
  const host = normalizeHost(rawHost);
  if (host === 'localhost' || host.endsWith('.localhost')) return ALLOWED;
  if (policy.infrastructure.has(host)) return ALLOWED;
  if (isIP(host) !== 0) return checkAddress(policy, host, host);
  if (policy.airGapped) return isInCluster(host) ? ALLOWED : deny('not_in_cluster');
  return isInCluster(host) || listed(policy, host) ? ALLOWED : deny('not_listed');
}

/** May a connection to `address`, which `host` resolved to (or is), go ahead? */
export function checkAddress(
  policy: EgressPolicy,
  rawHost: string,
  address: string,
): EgressVerdict {
  const host = normalizeHost(rawHost);
  if (contains(LOOPBACK, address)) return ALLOWED;
  if (policy.infrastructure.has(host)) return ALLOWED;
  const literal = host === address;
  if (contains(LINK_LOCAL, address)) {
    // Only as a literal the host list names: a name that resolves here is never let through.
    return !policy.airGapped && literal && policy.hosts.has(address) ? ALLOWED : deny('link_local');
  }
  if (policy.airGapped) {
    if (contains(policy.cluster, address)) return ALLOWED;
    return deny(literal ? 'not_in_cluster' : 'resolves_outside_cluster');
  }
  if (!literal) return ALLOWED;
  return listed(policy, host) || contains(policy.cluster, address) ? ALLOWED : deny('not_listed');
}

function listed(policy: EgressPolicy, host: string): boolean {
  return policy.hosts.has(host) || policy.suffixes.some((suffix) => host.endsWith(suffix));
}

function contains(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function subnets(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits = ''] = cidr.split('/');
    const family = isIP(address);
    if (family === 0) continue;
    list.addSubnet(address, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}
