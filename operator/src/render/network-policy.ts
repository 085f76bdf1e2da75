/**
 * The gateway's egress NetworkPolicy: DNS, Redis, the namespace's model servers, and exactly the
 * destinations its rendered routes use. NetworkPolicy cannot name hosts, so an external host
 * becomes a rule on its port (any address) and the host list goes in the annotation
 * `inference.enis.io/egress-hosts`; a baseURL that is an IP literal becomes an ipBlock; an
 * in-cluster service name becomes a rule to cluster pods on its port. Air-gapped: DNS, Redis,
 * model servers and in-cluster destinations only; the hosts it keeps out are listed in
 * `inference.enis.io/egress-blocked-hosts`. No rule reaches the cloud metadata address: every
 * ipBlock that would contain it excepts it.
 */
import * as kplus from 'cdk8s-plus-33';
import { BlockList, isIPv6 } from 'node:net';
import { METADATA_ADDRESSES } from '../../../crds/egress-settings.ts';
import type { KubeObject } from '../runtime/objects.ts';
import type { Destination } from './egress.ts';
import { destinationOfUrl } from './egress.ts';
import {
  childLabels,
  COMPONENT,
  EGRESS_BLOCKED_ANNOTATION,
  EGRESS_HOSTS_ANNOTATION,
  GATEWAY_NAMES,
  GATEWAY_OWNER,
  GATEWAY_SELECTOR,
} from './labels.ts';
import { lower } from './lower.ts';

export interface EgressSettings {
  redisUrl: string;
  redisCidr: string | undefined;
  airGapped: boolean;
}

type Rule = kplus.k8s.NetworkPolicyEgressRule;
const tcp = (port: number): kplus.k8s.NetworkPolicyPort => ({
  protocol: 'TCP',
  port: kplus.k8s.IntOrString.fromNumber(port),
});

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)].sort();

/** An ipBlock peer that excepts the metadata addresses inside `cidr` (unless it is exactly one). */
export function ipBlock(cidr: string): kplus.k8s.NetworkPolicyPeer {
  const [address = '', bits = ''] = cidr.split('/');
  const family = isIPv6(address) ? 'ipv6' : 'ipv4';
  const prefix = Number(bits);
  const range = new BlockList();
  range.addSubnet(address, prefix, family);
  const except = METADATA_ADDRESSES.filter(
    (ip) => isIPv6(ip) === (family === 'ipv6') && range.check(ip, family),
  )
    .map((ip) => `${ip}/${family === 'ipv6' ? 128 : 32}`)
    .filter((inside) => inside !== cidr);
  return { ipBlock: except.length === 0 ? { cidr } : { cidr, except } };
}

/** Any address but the metadata ones: where an external host (a name) may be. */
const ANYWHERE = [ipBlock('0.0.0.0/0'), ipBlock('::/0')];

export function renderEgressPolicy(
  namespace: string,
  destinations: readonly Destination[],
  settings: EgressSettings,
): KubeObject[] {
  const rules: Rule[] = [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [{ protocol: 'UDP', port: kplus.k8s.IntOrString.fromNumber(53) }, tcp(53)],
    },
  ];
  const redis = destinationOfUrl(settings.redisUrl.replace(/^rediss?:/, 'http:'));
  const redisPort = redis?.port === 80 ? 6379 : (redis?.port ?? 6379);
  rules.push(
    settings.redisCidr !== undefined
      ? { to: [ipBlock(settings.redisCidr)], ports: [tcp(redisPort)] }
      : redis?.type === 'ip'
        ? { to: [ipBlock(redis.cidr)], ports: [tcp(redisPort)] }
        : { to: [{ namespaceSelector: {} }], ports: [tcp(redisPort)] },
  );
  rules.push({
    to: [{ podSelector: { matchLabels: { [COMPONENT]: 'model-server' } } }],
    ports: [tcp(8080), tcp(8000)],
  });
  const inCluster = destinations.filter((d) => d.type === 'in-cluster');
  if (inCluster.length > 0) {
    rules.push({
      to: [{ namespaceSelector: {} }],
      ports: unique(inCluster.map((d) => d.port)).map(tcp),
    });
  }
  const external = destinations.filter((d) => d.type !== 'in-cluster');
  const allowed = settings.airGapped ? [] : external;
  for (const cidr of unique(allowed.flatMap((d) => (d.type === 'ip' ? [d.cidr] : [])))) {
    const ports = unique(
      allowed.flatMap((d) => (d.type === 'ip' && d.cidr === cidr ? [d.port] : [])),
    );
    rules.push({ to: [ipBlock(cidr)], ports: ports.map(tcp) });
  }
  const hostPorts = unique(allowed.flatMap((d) => (d.type === 'external' ? [d.port] : [])));
  if (hostPorts.length > 0) rules.push({ to: ANYWHERE, ports: hostPorts.map(tcp) });

  const hostList = (list: readonly Destination[]): string =>
    unique(list.filter((d) => d.type !== 'in-cluster').map((d) => `${d.host}:${d.port}`)).join(',');
  const annotations: Record<string, string> = {};
  if (allowed.length > 0) annotations[EGRESS_HOSTS_ANNOTATION] = hostList(allowed);
  if (settings.airGapped && external.length > 0)
    annotations[EGRESS_BLOCKED_ANNOTATION] = hostList(external);

  return lower((chart) => {
    new kplus.k8s.KubeNetworkPolicy(chart, 'egress', {
      metadata: {
        name: GATEWAY_NAMES.egressPolicy,
        namespace,
        labels: childLabels(GATEWAY_OWNER),
        ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
      },
      spec: {
        podSelector: { matchLabels: { ...GATEWAY_SELECTOR } },
        policyTypes: ['Egress'],
        egress: rules,
      },
    });
  });
}
