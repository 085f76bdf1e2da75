import { describe, expect, it } from 'vitest';
import type { ProviderRoute } from '../../../crds/provider-route.ts';
import { NOW, refs, route } from '../../test/fixtures.ts';
import type { UpstreamTlsContext } from './upstream-tls.ts';
import {
  aliasPolicy,
  credentialsPolicy,
  egressPolicy,
  modelRefsPolicy,
  reconcileProviderRoute,
  renderRouteSpec,
  resolveRoutes,
  type ProviderRouteObserved,
} from './provider-route.ts';

const NO_TLS: UpstreamTlsContext = { gatewayClient: undefined, nowMs: NOW.getTime() };
const target = (extra: object) => ({ targets: [{ name: 't', provider: 'openai', ...extra }] });

describe('modelRefsPolicy', () => {
  const cases: [string, object, Partial<Parameters<typeof refs>[0]>, string][] = [
    ['a literal model', target({ model: 'gpt-4o' }), {}, 'ModelRefsResolved'],
    [
      'a ConfigMap that is missing',
      target({ modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } } }),
      {},
      'ConfigMapNotFound',
    ],
    [
      'a ConfigMap without the key',
      target({ modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } } }),
      { configMaps: new Map([['models', { other: 'x' }]]) },
      'ConfigMapKeyNotFound',
    ],
    [
      'a ConfigMap key that is blank',
      target({ modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } } }),
      { configMaps: new Map([['models', { chat: ' ' }]]) },
      'ConfigMapKeyNotFound',
    ],
    [
      'a ConfigMap key that exists',
      target({ modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } } }),
      { configMaps: new Map([['models', { chat: 'gpt-4o' }]]) },
      'ModelRefsResolved',
    ],
    [
      'an env variable the gateway lacks',
      target({ modelFrom: { env: 'CHAT_MODEL' } }),
      {},
      'EnvNotSet',
    ],
    [
      'an env variable the gateway has',
      target({ modelFrom: { env: 'CHAT_MODEL' } }),
      { gatewayEnv: { CHAT_MODEL: 'gpt-4o' } },
      'ModelRefsResolved',
    ],
    [
      'a local model that does not exist',
      { targets: [{ name: 't', provider: 'local', model: 'llama' }] },
      {},
      'InferenceModelNotFound',
    ],
    [
      'a local model that exists',
      { targets: [{ name: 't', provider: 'local', model: 'phi-3-mini' }] },
      {},
      'ModelRefsResolved',
    ],
  ];
  it.each(cases)('%s → %s', (_title, spec, partial, reason) => {
    expect(modelRefsPolicy(route('r', spec), refs(partial)).reason).toBe(reason);
  });

  it('names the ConfigMap, the key and the namespace', () => {
    const v = modelRefsPolicy(
      route('r', target({ modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } } })),
      refs(),
    );
    expect(v.message).toBe(
      'Target t reads its model from ConfigMap models (key chat), which does not exist in namespace team.',
    );
  });
});

describe('credentialsPolicy', () => {
  it('says which Secret and key are missing', () => {
    const r = route(
      'r',
      target({ model: 'm', credentials: { secretKeyRef: { name: 'keys', key: 'openai' } } }),
    );
    expect(credentialsPolicy(r, refs())).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(credentialsPolicy(r, refs()).message).toContain('Secret keys (key openai)');
    const wrongKey = refs({ secrets: new Map([['keys', { other: 'eA==' }]]) });
    expect(credentialsPolicy(r, wrongKey)).toMatchObject({
      status: 'False',
      reason: 'SecretKeyNotFound',
    });
    const ok = refs({ secrets: new Map([['keys', { openai: 'eA==' }]]) });
    expect(credentialsPolicy(r, ok)).toMatchObject({
      status: 'True',
      reason: 'CredentialsResolved',
    });
  });
});

describe('egressPolicy', () => {
  it('blocks external hosts only when air-gapped', () => {
    const external = route('r', target({ model: 'm' }));
    const inCluster = route('r', target({ model: 'm', baseURL: 'http://vllm.models.svc:8000/v1' }));
    expect(egressPolicy(external, false).status).toBe('True');
    expect(egressPolicy(external, true)).toMatchObject({
      status: 'False',
      reason: 'EgressBlocked',
    });
    expect(egressPolicy(inCluster, true).status).toBe('True');
  });

  it('names each target outside the cluster and its host, IP literals included', () => {
    const r = route('r', {
      targets: [
        { name: 'openai', provider: 'openai', model: 'm' },
        {
          name: 'by-ip',
          provider: 'openai-compatible',
          model: 'm',
          baseURL: 'http://192.0.2.10:8000/v1',
        },
        { name: 'vllm', provider: 'local', model: 'm', baseURL: 'http://vllm.models.svc:8000/v1' },
      ],
    });
    expect(egressPolicy(r, true).message).toBe(
      "The operator runs air-gapped: target(s) openai (api.openai.com:443), by-ip (192.0.2.10:8000) need hosts outside the cluster, which the gateway's egress policy does not allow; the chain is served without them.",
    );
  });
});

describe('aliasPolicy and resolveRoutes', () => {
  it('gives an alias to the oldest route and leaves the others out', () => {
    const older = route('older', { alias: 'chat' }, '2026-01-01T00:00:00Z');
    const newer = route('newer', { alias: 'chat' }, '2026-02-01T00:00:00Z');
    const resolved = resolveRoutes([newer, older], refs(), false, NO_TLS);
    expect(resolved.get('older')?.rendered?.alias).toBe('chat');
    expect(resolved.get('newer')?.rendered).toBeUndefined();
    expect(resolved.get('newer')?.alias).toMatchObject({
      status: 'False',
      reason: 'AliasConflict',
    });
    expect(aliasPolicy(newer, older).message).toContain('older ProviderRoute older');
  });

  it('leaves out a route whose model cannot be resolved, but keeps one whose Secret is missing', () => {
    const unresolved = route('a', {
      alias: 'a',
      ...target({ modelFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }),
    });
    const noSecret = route('b', {
      alias: 'b',
      ...target({ model: 'm', credentials: { secretKeyRef: { name: 's', key: 'k' } } }),
    });
    const resolved = resolveRoutes([unresolved, noSecret], refs(), false, NO_TLS);
    expect(resolved.get('a')?.rendered).toBeUndefined();
    expect(resolved.get('b')?.rendered?.alias).toBe('b');
  });
});

describe('renderRouteSpec', () => {
  it('resolves ConfigMap models, keeps env references and points local targets at their model server', () => {
    const r = route('r', {
      targets: [
        {
          name: 'cm',
          provider: 'openai',
          modelFrom: { configMapKeyRef: { name: 'models', key: 'chat' } },
        },
        { name: 'env', provider: 'groq', modelFrom: { env: 'FAST' } },
        { name: 'local', provider: 'local', model: 'phi-3-mini' },
      ],
    });
    const spec = renderRouteSpec(
      r,
      refs({ configMaps: new Map([['models', { chat: ' gpt-4o \n' }]]) }),
      false,
      NO_TLS,
    );
    expect(spec?.targets).toEqual([
      { name: 'cm', provider: 'openai', model: 'gpt-4o' },
      { name: 'env', provider: 'groq', modelFrom: { env: 'FAST' } },
      {
        name: 'local',
        provider: 'local',
        model: 'phi-3-mini',
        baseURL: 'http://model-phi-3-mini.team.svc:8080/v1',
      },
    ]);
  });

  it('leaves targets outside the cluster out when air-gapped, and the route when none is left', () => {
    const mixed = route('r', {
      targets: [
        { name: 'openai', provider: 'openai', model: 'gpt-4o' },
        {
          name: 'by-ip',
          provider: 'openai-compatible',
          model: 'm',
          baseURL: 'http://192.0.2.1/v1',
        },
        { name: 'local', provider: 'local', model: 'phi-3-mini' },
        { name: 'mock', provider: 'mock', model: 'echo' },
      ],
    });
    expect(renderRouteSpec(mixed, refs(), true, NO_TLS)?.targets.map((t) => t.name)).toEqual([
      'local',
      'mock',
    ]);
    expect(renderRouteSpec(mixed, refs(), false, NO_TLS)?.targets).toHaveLength(4);
    const outside = route('r', { targets: [{ name: 'openai', provider: 'openai', model: 'x' }] });
    expect(renderRouteSpec(outside, refs(), true, NO_TLS)).toBeUndefined();
    expect(egressPolicy(outside, true).message).toMatch(/; the route is not served\.$/);
    expect(egressPolicy(mixed, true).message).toMatch(/; the chain is served without them\.$/);
  });
});

describe('reconcileProviderRoute', () => {
  const observed = (
    r: ProviderRoute | undefined,
    extra: Partial<ProviderRouteObserved> = {},
  ): ProviderRouteObserved => ({
    route: r,
    routes: r === undefined ? [] : [r],
    refs: refs(),
    airGapped: false,
    renderedRoutes: undefined,
    configChecksum: undefined,
    now: NOW,
    ...extra,
  });

  it('desires nothing for a route that is gone', () => {
    expect(reconcileProviderRoute(observed(undefined))).toEqual({ desired: [] });
  });

  it('is RenderPending until the rendered config carries the route, then Ready with the checksum', () => {
    const r = route();
    const pending = reconcileProviderRoute(observed(r)).status;
    expect(pending?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'RenderPending',
    });
    expect(pending?.renderedConfigChecksum).toBeUndefined();
    const rendered = new Map([['chat', renderRouteSpec(r, refs(), false, NO_TLS)]]);
    const ready = reconcileProviderRoute(
      observed(r, { renderedRoutes: rendered, configChecksum: `sha256:${'a'.repeat(64)}` }),
    ).status;
    expect(ready).toMatchObject({
      observedGeneration: 1,
      targets: 'mock/echo → openai/gpt-4o-mini',
      renderedConfigChecksum: `sha256:${'a'.repeat(64)}`,
    });
    expect(ready?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Serving'],
      ['ResolvedRefs', 'True', 'ResolvedRefs'],
    ]);
  });

  it('keeps the last rendered checksum while a change is pending', () => {
    const r = { ...route(), status: { renderedConfigChecksum: `sha256:${'b'.repeat(64)}` } };
    expect(reconcileProviderRoute(observed(r)).status?.renderedConfigChecksum).toBe(
      `sha256:${'b'.repeat(64)}`,
    );
  });

  it('is not Ready with a missing Secret, and says so in both conditions', () => {
    const status = reconcileProviderRoute(
      observed(route(), { refs: refs({ secrets: new Map() }) }),
    ).status;
    expect(status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'SecretNotFound'],
      ['ResolvedRefs', 'False', 'SecretNotFound'],
    ]);
  });

  it('shows env and ConfigMap model sources in the chain', () => {
    const r = route('r', {
      targets: [
        { name: 'a', provider: 'groq', modelFrom: { env: 'FAST' } },
        { name: 'b', provider: 'openai', modelFrom: { configMapKeyRef: { name: 'm', key: 'k' } } },
      ],
    });
    expect(reconcileProviderRoute(observed(r)).status?.targets).toBe(
      'groq/env:FAST → openai/configmap:m/k',
    );
  });
});
