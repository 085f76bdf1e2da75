// The gateway's egress NetworkPolicy read the way a CNI reads it: a table of destinations the
// gateway pod may and may not reach, air-gapped and not. The evaluator below follows the
// NetworkPolicy API (a rule matches when a port and a peer match; no `to` is any peer; a
// podSelector alone is the policy's namespace); Services are their backing pods, as the CNI
// sees them after DNAT.
import { BlockList, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { destinationOfUrl, type Destination } from './egress.ts';
import { COMPONENT } from './labels.ts';
import { renderEgressPolicy, type EgressSettings } from './network-policy.ts';

interface Selector {
  matchLabels?: Record<string, string>;
}
interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Selector;
  podSelector?: Selector;
}
interface Rule {
  to?: Peer[];
  ports?: { protocol?: string; port?: number }[];
}
interface Target {
  ip: string;
  /** The pod behind the address, when it is one. */
  pod?: { namespace: string; labels: Record<string, string> };
}

const NAMESPACE = 'team';

const selects = (selector: Selector | undefined, labels: Record<string, string>): boolean =>
  Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);

const inCidr = (cidr: string, ip: string): boolean => {
  const [address = '', bits = ''] = cidr.split('/');
  if (isIPv6(address) !== isIPv6(ip)) return false;
  const family = isIPv6(ip) ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  list.addSubnet(address, Number(bits), family);
  return list.check(ip, family);
};

function peerMatches(peer: Peer, to: Target): boolean {
  if (peer.ipBlock !== undefined) {
    const { cidr, except = [] } = peer.ipBlock;
    return inCidr(cidr, to.ip) && !except.some((out) => inCidr(out, to.ip));
  }
  if (to.pod === undefined) return false;
  const namespaceLabels = { 'kubernetes.io/metadata.name': to.pod.namespace };
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? to.pod.namespace === NAMESPACE
      : selects(peer.namespaceSelector, namespaceLabels);
  return namespaceOk && selects(peer.podSelector, to.pod.labels);
}

function allows(rules: readonly Rule[], to: Target, protocol: string, port: number) {
  return rules.some(
    (rule) =>
      (rule.ports === undefined ||
        rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && p.port === port)) &&
      (rule.to === undefined || rule.to.some((peer) => peerMatches(peer, to))),
  );
}

const kubeDns = {
  ip: '10.244.0.5',
  pod: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
};
const metricsServer = {
  ip: '10.244.0.6',
  pod: { namespace: 'kube-system', labels: { 'k8s-app': 'metrics-server' } },
};
const redis = { ip: '10.244.1.7', pod: { namespace: 'data', labels: { app: 'redis' } } };
const modelServer = {
  ip: '10.244.2.8',
  pod: { namespace: NAMESPACE, labels: { [COMPONENT]: 'model-server' } },
};
const foreignModelServer = {
  ip: '10.244.3.9',
  pod: { namespace: 'other', labels: { [COMPONENT]: 'model-server' } },
};
const vllm = { ip: '10.244.4.10', pod: { namespace: 'models', labels: { app: 'vllm' } } };
const metadata = { ip: '169.254.169.254' };
const metadataV6 = { ip: 'fd00:ec2::254' };
const publicHost = { ip: '104.18.6.192' };
const publicDns = { ip: '8.8.8.8' };
const ipTarget = { ip: '192.0.2.10' };

const ROUTE_URLS = [
  'https://api.openai.com/v1',
  'http://vllm.models.svc:9000/v1',
  'http://192.0.2.10:8000/v1',
];
const destinations = ROUTE_URLS.map((url) => destinationOfUrl(url)).filter(
  (d): d is Destination => d !== undefined,
);

const rulesOf = (settings: Partial<EgressSettings>): Rule[] => {
  const [policy] = renderEgressPolicy(NAMESPACE, destinations, {
    redisUrl: 'redis://redis.data.svc:6379',
    redisCidr: undefined,
    airGapped: false,
    ...settings,
  });
  return (policy as unknown as { spec: { egress: Rule[] } }).spec.egress;
};

type Case = [what: string, to: Target, protocol: string, port: number, allowed: boolean];

const ALWAYS: Case[] = [
  ['cluster DNS over UDP', kubeDns, 'UDP', 53, true],
  ['cluster DNS over TCP', kubeDns, 'TCP', 53, true],
  ['cluster DNS on another port', kubeDns, 'TCP', 9153, false],
  ['another kube-system pod on 53', metricsServer, 'UDP', 53, false],
  ['a public resolver', publicDns, 'UDP', 53, false],
  ['Redis', redis, 'TCP', 6379, true],
  ['Redis on another port', redis, 'TCP', 6380, false],
  ['a model server of the namespace', modelServer, 'TCP', 8080, true],
  ['a model server of the namespace, vLLM port', modelServer, 'TCP', 8000, true],
  ['a model server of another namespace', foreignModelServer, 'TCP', 8080, false],
  ['the in-cluster target a route names', vllm, 'TCP', 9000, true],
  ['an in-cluster pod on a port no route names', vllm, 'TCP', 22, false],
  ['the metadata address on 80', metadata, 'TCP', 80, false],
  ['the metadata address on 443', metadata, 'TCP', 443, false],
  ['the IPv6 metadata address on 443', metadataV6, 'TCP', 443, false],
];

describe('the egress policy, air-gapped', () => {
  const rules = rulesOf({ airGapped: true });
  it.each<Case>([
    ...ALWAYS,
    ['a public host on 443', publicHost, 'TCP', 443, false],
    ['the IP literal a route names', ipTarget, 'TCP', 8000, false],
  ])('%s: allowed %5$s', (_what, to, protocol, port, allowed) => {
    expect(allows(rules, to, protocol, port)).toBe(allowed);
  });
});

describe('the egress policy, not air-gapped', () => {
  const rules = rulesOf({});
  it.each<Case>([
    ...ALWAYS,
    // NetworkPolicy cannot name hosts: the port of an external host is open to any address
    // but the metadata ones (docs/operator.md, Egress).
    ['a public host on 443', publicHost, 'TCP', 443, true],
    ['a public host on 80', publicHost, 'TCP', 80, false],
    ['the IP literal a route names', ipTarget, 'TCP', 8000, true],
    ['the IP literal on another port', ipTarget, 'TCP', 8001, false],
  ])('%s: allowed %5$s', (_what, to, protocol, port, allowed) => {
    expect(allows(rules, to, protocol, port)).toBe(allowed);
  });

  it('keeps the metadata address out of a Redis CIDR that contains it', () => {
    const wide = rulesOf({ redisCidr: '169.254.0.0/16', redisUrl: 'redis://169.254.1.1:6379' });
    expect(allows(wide, { ip: '169.254.1.1' }, 'TCP', 6379)).toBe(true);
    expect(allows(wide, metadata, 'TCP', 6379)).toBe(false);
  });
});
