import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../core/route.ts';
import { createProviderRegistry } from './registry.ts';

const target = (
  provider: TargetConfig['provider'],
  extra: Partial<TargetConfig> = {},
): TargetConfig => ({
  name: 't',
  provider,
  model: 'm',
  timeoutMs: 1000,
  weight: 1,
  priority: 0,
  ...extra,
});

describe('the provider registry', () => {
  it('builds one provider per target identity and reuses it', () => {
    const providerFor = createProviderRegistry({ modelsDir: '/nowhere' });
    const first = providerFor(target('openai', { apiKey: 'k1' }));
    expect(providerFor(target('openai', { apiKey: 'k1', name: 'other', model: 'other' }))).toBe(
      first,
    );
    expect(providerFor(target('openai', { apiKey: 'k2' }))).not.toBe(first);
    expect(
      providerFor(target('openai', { apiKey: 'k1', baseURL: 'http://127.0.0.1:1/v1' })),
    ).not.toBe(first);
  });

  it('names each kind, local models in process or behind a model server', () => {
    const providerFor = createProviderRegistry({ modelsDir: '/nowhere' });
    const names = (['openai', 'anthropic', 'groq', 'mock', 'local'] as const).map(
      (kind) => providerFor(target(kind)).name,
    );
    expect(names).toEqual(['openai', 'anthropic', 'groq', 'mock', 'local']);
    expect(
      providerFor(target('openai-compatible', { baseURL: 'http://127.0.0.1:1/v1' })).name,
    ).toBe('openai-compatible');
    const server = providerFor(target('local', { baseURL: 'http://127.0.0.1:1/v1' }));
    expect(server.name).toBe('local');
    expect('embed' in server).toBe(true);
    expect(providerFor(target('local'))).toBe(providerFor(target('local', { model: 'other' })));
  });

  it('forgets the oldest client when full', () => {
    const providerFor = createProviderRegistry({ modelsDir: '/nowhere', maxClients: 2 });
    const first = providerFor(target('groq', { apiKey: 'a' }));
    providerFor(target('groq', { apiKey: 'b' }));
    providerFor(target('groq', { apiKey: 'c' }));
    expect(providerFor(target('groq', { apiKey: 'a' }))).not.toBe(first);
  });
});
