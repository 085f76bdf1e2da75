import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { EgressSettings } from '../../../../crds/egress-settings.ts';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';
import { reachable } from './egress.ts';

const target = (name: string, provider: TargetConfig['provider'], baseURL?: string) =>
  ({
    name,
    provider,
    model: 'm',
    timeoutMs: 1000,
    weight: 1,
    priority: 0,
    ...(baseURL === undefined ? {} : { baseURL }),
  }) as TargetConfig;
const route = {
  alias: 'chat',
  targets: [
    target('openai', 'openai'),
    target('proxy', 'openai-compatible', 'https://llm.corp.example.com/v1'),
    target('vllm', 'openai-compatible', 'http://vllm.models.svc:8000/v1'),
    target('mock', 'mock'),
  ],
} as RouteConfig;
const open = Value.Parse(EgressSettings, {});
const gapped = Value.Parse(EgressSettings, { airGapped: true });
const kept = (egress: object, gateway = open) =>
  reachable(route, egress, gateway).route.targets.map((each) => each.name);

describe('a profile egress', () => {
  it.each([
    ['nothing set: every target', {}, open, ['openai', 'proxy', 'vllm', 'mock']],
    ['providers', { providers: ['openai-compatible'] }, open, ['proxy', 'vllm']],
    [
      'hosts, with a wildcard (in-process targets call none)',
      { hosts: ['*.example.com'] },
      open,
      ['proxy', 'mock'],
    ],
    ['air-gapped: in-cluster hosts and in-process only', {}, gapped, ['vllm', 'mock']],
    ['air-gapped wins over a listed public host', { hosts: ['api.openai.com'] }, gapped, ['mock']],
  ])('keeps by %s', (_, egress, gateway, names) => {
    expect(kept(egress, gateway)).toEqual(names);
  });

  it('names what it keeps out, with host and reason', () => {
    expect(reachable(route, { providers: ['mock', 'openai-compatible'] }, gapped).refused).toEqual([
      {
        target: 'openai',
        provider: 'openai',
        host: 'api.openai.com',
        reason: 'provider_not_allowed',
      },
      {
        target: 'proxy',
        provider: 'openai-compatible',
        host: 'llm.corp.example.com',
        reason: 'not_in_cluster',
      },
    ]);
  });

  it('returns the route itself when it keeps every target', () => {
    expect(reachable(route, {}, open).route).toBe(route);
  });
});
