import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { ConfigStore } from '../config/config-store.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import { policyFor } from './egress-hosts.ts';
import { checkHost, type EgressPolicy } from './egress-policy.ts';

const routes = {
  routes: [
    {
      alias: 'chat',
      targets: [
        { name: 'openai', provider: 'openai', model: 'gpt' },
        {
          name: 'vllm',
          provider: 'openai-compatible',
          model: 'm',
          baseURL: 'http://llm.example.com:8443/v1',
        },
        { name: 'in-process', provider: 'local', model: 'tiny' },
        { name: 'mock', provider: 'mock', model: 'echo' },
      ],
    },
  ],
};

let config: ConfigDir;
const load = async (egress: object): Promise<ConfigSnapshot> => {
  await config.write('gateway.yaml', {
    auth: { issuer: 'https://issuer.test', audience: 'inference-service' },
    tracing: { endpoint: 'http://collector.example.org:4318' },
    egress,
  });
  const store = new ConfigStore([config.dir], {});
  await store.reload();
  if (store.current === undefined) throw new Error('the config did not load');
  return store.current;
};

beforeAll(async () => {
  config = await makeConfigDir({ routes, prompts: false });
});
afterAll(() => config.cleanup());

const verdicts = (policy: EgressPolicy, hosts: string[]) =>
  Object.fromEntries(
    hosts.map((host) => {
      const verdict = checkHost(policy, host);
      return [host, verdict.allowed ? 'allowed' : verdict.reason];
    }),
  );

const HOSTS = [
  'api.openai.com',
  'llm.example.com',
  'collector.example.org',
  'build.corp.example',
  'cache.example.net',
  'api.anthropic.com',
];

describe('the egress policy of a config', () => {
  it('allows the hosts the config names, and nothing else', async () => {
    const snapshot = await load({ allowHosts: ['*.corp.example'] });
    const env = { REDIS_URL: 'redis://cache.example.net:6379' };
    expect(verdicts(policyFor(snapshot, env), HOSTS)).toEqual({
      'api.openai.com': 'allowed',
      'llm.example.com': 'allowed',
      'collector.example.org': 'allowed',
      'build.corp.example': 'allowed',
      'cache.example.net': 'allowed',
      'api.anthropic.com': 'not_listed',
    });
  });

  it('keeps only the cluster and Redis when air-gapped', async () => {
    const snapshot = await load({ airGapped: true, allowHosts: ['*.corp.example'] });
    const env = { REDIS_URL: 'redis://cache.example.net:6379' };
    expect(verdicts(policyFor(snapshot, env), HOSTS)).toEqual({
      'api.openai.com': 'not_in_cluster',
      'llm.example.com': 'not_in_cluster',
      'collector.example.org': 'not_in_cluster',
      'build.corp.example': 'not_in_cluster',
      'cache.example.net': 'allowed',
      'api.anthropic.com': 'not_in_cluster',
    });
  });

  it('takes the collector from the OTLP variables, which win over gateway.yaml', async () => {
    const snapshot = await load({});
    const policy = policyFor(snapshot, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel.example.io' });
    expect(verdicts(policy, ['otel.example.io', 'collector.example.org'])).toEqual({
      'otel.example.io': 'allowed',
      'collector.example.org': 'not_listed',
    });
  });

  it('allows loopback, Redis and the cluster before any config is loaded', () => {
    const policy = policyFor(undefined, { REDIS_URL: 'redis://10.0.0.9:6379' });
    expect(verdicts(policy, ['localhost', '10.0.0.9', 'redis.data.svc', 'api.openai.com'])).toEqual(
      {
        localhost: 'allowed',
        '10.0.0.9': 'allowed',
        'redis.data.svc': 'allowed',
        'api.openai.com': 'not_listed',
      },
    );
  });
});
