import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CIDRS } from '../../../crds/egress-settings.ts';
import { buildPolicy, checkAddress, checkHost, normalizeHost } from './egress-policy.ts';

const base = {
  hosts: ['api.openai.com', '*.example.com', '203.0.113.7', 'metadata.google.internal'],
  infrastructure: ['cache.example.net'],
  clusterCidrs: DEFAULT_CLUSTER_CIDRS,
};
const open = buildPolicy({ ...base, airGapped: false });
const airGapped = buildPolicy({ ...base, airGapped: true });

type HostCase = [host: string, open: string, airGapped: string];

describe('a host, before it is resolved', () => {
  it.each<HostCase>([
    ['localhost', 'allowed', 'allowed'],
    ['127.0.0.1', 'allowed', 'allowed'],
    ['::1', 'allowed', 'allowed'],
    ['[::1]', 'allowed', 'allowed'],
    ['redis', 'allowed', 'allowed'],
    ['model-x.team.svc', 'allowed', 'allowed'],
    ['Model-X.team.svc.cluster.local.', 'allowed', 'allowed'],
    ['cache.example.net', 'allowed', 'allowed'],
    ['api.openai.com', 'allowed', 'not_in_cluster'],
    ['llm.example.com', 'allowed', 'not_in_cluster'],
    ['example.com', 'not_listed', 'not_in_cluster'],
    ['api.anthropic.com', 'not_listed', 'not_in_cluster'],
    ['redis.data', 'not_listed', 'not_in_cluster'],
    ['10.1.2.3', 'allowed', 'allowed'],
    ['fd00::5', 'allowed', 'allowed'],
    ['203.0.113.7', 'allowed', 'not_in_cluster'],
    ['198.51.100.1', 'not_listed', 'not_in_cluster'],
    ['169.254.169.254', 'link_local', 'link_local'],
    ['fd00:ec2::254', 'link_local', 'link_local'],
    ['fe80::1', 'link_local', 'link_local'],
  ])('%s: %s, air-gapped %s', (host, whenOpen, whenAirGapped) => {
    const said = (v: ReturnType<typeof checkHost>) => (v.allowed ? 'allowed' : v.reason);
    expect(said(checkHost(open, host))).toBe(whenOpen);
    expect(said(checkHost(airGapped, host))).toBe(whenAirGapped);
  });
});

type AddressCase = [host: string, address: string, open: string, airGapped: string];

describe('an address a host resolved to', () => {
  it.each<AddressCase>([
    ['model-x.team.svc', '10.96.0.12', 'allowed', 'allowed'],
    ['model-x.team.svc', '198.51.100.1', 'allowed', 'resolves_outside_cluster'],
    ['model-x.team.svc', '169.254.169.254', 'link_local', 'link_local'],
    ['api.openai.com', '104.18.6.192', 'allowed', 'resolves_outside_cluster'],
    ['api.openai.com', '169.254.169.254', 'link_local', 'link_local'],
    ['metadata.google.internal', '169.254.169.254', 'link_local', 'link_local'],
    ['api.openai.com', '::ffff:169.254.169.254', 'link_local', 'link_local'],
    ['localhost', '127.0.0.1', 'allowed', 'allowed'],
    ['cache.example.net', '198.51.100.9', 'allowed', 'allowed'],
  ])('%s at %s: %s, air-gapped %s', (host, address, whenOpen, whenAirGapped) => {
    const said = (v: ReturnType<typeof checkAddress>) => (v.allowed ? 'allowed' : v.reason);
    expect(said(checkAddress(open, host, address))).toBe(whenOpen);
    expect(said(checkAddress(airGapped, host, address))).toBe(whenAirGapped);
  });

  it('lets a link-local literal through only when a host list names it, and never air-gapped', () => {
    const hosts = [...base.hosts, '169.254.169.254'];
    const listing = buildPolicy({ ...base, hosts, airGapped: false });
    expect(checkHost(listing, '169.254.169.254')).toEqual({ allowed: true });
    expect(checkHost(buildPolicy({ ...base, hosts, airGapped: true }), '169.254.169.254')).toEqual({
      allowed: false,
      reason: 'link_local',
    });
  });

  it('takes only the cluster CIDRs it is given', () => {
    const narrow = buildPolicy({ ...base, airGapped: true, clusterCidrs: ['10.213.0.0/24'] });
    expect(checkAddress(narrow, 'svc', '10.213.0.1')).toEqual({ allowed: true });
    expect(checkAddress(narrow, 'svc', '10.1.0.1')).toEqual({
      allowed: false,
      reason: 'resolves_outside_cluster',
    });
  });

  it('compares hosts in one form', () => {
    expect(normalizeHost('[FD00::1]')).toBe('fd00::1');
    expect(normalizeHost('API.OpenAI.com.')).toBe('api.openai.com');
  });
});
