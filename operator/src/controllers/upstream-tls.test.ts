import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RouteTarget } from '../../../crds/provider-route.ts';
import { createCa, issue } from '../../../tests/support/x509.ts';
import { refs, route } from '../../test/fixtures.ts';
import { routeSecrets } from '../observe.ts';
import { reconcileProviderRoute, renderRouteSpec } from './provider-route.ts';
import {
  resolveTargetTls,
  upstreamTlsFiles,
  upstreamTlsPolicy,
  type UpstreamTlsContext,
} from './upstream-tls.ts';

const DAY = 24 * 3600_000;
const now = new Date();
const ca = createCa('upstream-ca', { notAfter: new Date(now.getTime() + 300 * DAY) });
const client = issue(ca, {
  commonName: 'gateway',
  usages: ['clientAuth'],
  notAfter: new Date(now.getTime() + 20 * DAY),
});
const other = issue(ca, { commonName: 'other', usages: ['clientAuth'] });
const expired = issue(ca, {
  commonName: 'gateway',
  notBefore: new Date(now.getTime() - 2 * DAY),
  notAfter: new Date(now.getTime() - DAY),
});
const notAfter = (issued: { cert: string }) =>
  new X509Certificate(issued.cert).validToDate.getTime();
const b64 = (text: string) => Buffer.from(text).toString('base64');
const secrets = (overrides: Record<string, Record<string, string> | null> = {}) => {
  const map = new Map<string, Record<string, string>>([
    ['upstream-ca', { 'ca.crt': b64(ca.cert) }],
    ['upstream-client', { 'tls.crt': b64(client.cert), 'tls.key': b64(client.key) }],
  ]);
  for (const [name, data] of Object.entries(overrides)) {
    if (data === null) map.delete(name);
    else map.set(name, data);
  }
  return refs({ secrets: map });
};
const context: UpstreamTlsContext = { gatewayClient: undefined, nowMs: now.getTime() };
const secured = (tls: object = {}): RouteTarget => ({
  name: 'secure',
  provider: 'openai-compatible',
  model: 'm',
  baseURL: 'https://upstream.test/v1',
  tls: {
    ca: { secretName: 'upstream-ca' },
    clientCertificate: { secretName: 'upstream-client' },
    ...tls,
  },
});

describe('resolveTargetTls', () => {
  it('resolves the Secret files under their contract names, with their expiries', () => {
    const resolution = resolveTargetTls(secured(), secrets(), context);
    expect(resolution).toMatchObject({
      ok: true,
      notAfter: { client: notAfter(client), ca: notAfter(ca) },
    });
    expect(resolution.ok && [...resolution.files.keys()]).toEqual([
      'upstream-ca__ca.crt',
      'upstream-client__tls.crt',
      'upstream-client__tls.key',
    ]);
  });

  it("resolves the gateway's own client certificate and CA from the operator's Secret", () => {
    const gateway = { 'tls.crt': other.cert, 'tls.key': other.key, 'ca.crt': ca.cert };
    const resolution = resolveTargetTls(
      secured({ ca: { gateway: true }, clientCertificate: { gateway: true } }),
      refs(),
      { ...context, gatewayClient: gateway },
    );
    expect(resolution.ok && Object.fromEntries(resolution.files)).toEqual({
      'gateway-ca.crt': ca.cert,
      'gateway-client.crt': other.cert,
      'gateway-client.key': other.key,
    });
  });

  it.each([
    ['a missing Secret', secured(), secrets({ 'upstream-ca': null }), 'SecretNotFound'],
    [
      'a Secret without the key',
      secured(),
      secrets({ 'upstream-client': { 'tls.crt': b64(client.cert) } }),
      'SecretKeyNotFound',
    ],
    [
      'an expired client certificate',
      secured(),
      secrets({ 'upstream-client': { 'tls.crt': b64(expired.cert), 'tls.key': b64(expired.key) } }),
      'CertificateExpired',
    ],
    [
      'a key of another certificate',
      secured(),
      secrets({ 'upstream-client': { 'tls.crt': b64(client.cert), 'tls.key': b64(other.key) } }),
      'KeyMismatch',
    ],
    [
      'a bundle entry that is not a CA',
      secured(),
      secrets({ 'upstream-ca': { 'ca.crt': b64(client.cert) } }),
      'CertificateInvalid',
    ],
    [
      "the gateway's certificate when the operator issues none",
      secured({ clientCertificate: { gateway: true } }),
      secrets(),
      'GatewayCertificateUnavailable',
    ],
  ])('refuses %s', (_case, target, namespaceRefs, reason) => {
    expect(resolveTargetTls(target, namespaceRefs, context)).toMatchObject({ ok: false, reason });
  });
});

describe('UpstreamTLSReady and the rendered chain', () => {
  const plain = { name: 'backup', provider: 'openai', model: 'gpt-4o-mini' };

  it('is True with each certificate expiry in the message, and the route is rendered whole', () => {
    const r = route('chat', { targets: [secured(), plain] });
    const policy = upstreamTlsPolicy(r, secrets(), context);
    expect(policy?.verdict).toMatchObject({ status: 'True', reason: 'UpstreamTLSResolved' });
    expect(policy?.verdict.message).toContain(
      `secure: client certificate (Secret upstream-client) expires ${new Date(notAfter(client)).toISOString()}`,
    );
    expect(policy?.verdict.message).toContain(
      `CA bundle (Secret upstream-ca) expires ${new Date(notAfter(ca)).toISOString()}`,
    );
    expect(policy?.nextExpiryMs).toBe(notAfter(client));
    expect(renderRouteSpec(r, secrets(), false, context)?.targets.map((t) => t.name)).toEqual([
      'secure',
      'backup',
    ]);
  });

  it('is not set on a route without tls', () => {
    const r = route('chat', { targets: [plain] });
    const status = reconcileProviderRoute({
      route: r,
      routes: [r],
      refs: secrets(),
      airGapped: false,
      renderedRoutes: undefined,
      configChecksum: undefined,
      now,
    }).status;
    expect(status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'ResolvedRefs']);
  });

  it('is False naming the target whose material is missing, which is left out of the chain', () => {
    const r = route('chat', { targets: [secured(), plain] });
    const missing = secrets({ 'upstream-client': null });
    const result = reconcileProviderRoute({
      route: r,
      routes: [r],
      refs: missing,
      airGapped: false,
      renderedRoutes: undefined,
      configChecksum: undefined,
      now,
    });
    const condition = result.status?.conditions?.find((c) => c.type === 'UpstreamTLSReady');
    expect(condition).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(condition?.message).toMatch(
      /^Target secure: tls needs Secret upstream-client \(key tls\.crt\), which does not exist\. Until it is fixed the chain is served without secure/,
    );
    expect(result.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(renderRouteSpec(r, missing, false, context)?.targets.map((t) => t.name)).toEqual([
      'backup',
    ]);
    expect(
      upstreamTlsFiles([renderRouteSpec(r, missing, false, context)!], missing, context).size,
    ).toBe(0);
  });

  it('requeues at the earliest expiry, so the condition turns when a certificate expires', () => {
    const r = route('chat', { targets: [secured()] });
    const result = reconcileProviderRoute({
      route: r,
      routes: [r],
      refs: secrets(),
      airGapped: false,
      renderedRoutes: undefined,
      configChecksum: undefined,
      now,
    });
    expect(result.requeueAfterMs).toBe(notAfter(client) - now.getTime());
  });

  it("leaves out a local model's target with tls while its model serves no TLS (no spec.tls)", () => {
    const r = route('chat', {
      targets: [
        {
          name: 'local',
          provider: 'local',
          model: 'phi-3-mini',
          tls: { ca: { gateway: true }, clientCertificate: { gateway: true } },
        },
        plain,
      ],
    });
    const gateway = { 'tls.crt': other.cert, 'tls.key': other.key, 'ca.crt': ca.cert };
    const withGateway = { ...context, gatewayClient: gateway };
    expect(upstreamTlsPolicy(r, refs(), withGateway)?.verdict).toMatchObject({
      status: 'False',
      reason: 'ModelServerTLSUnavailable',
    });
    expect(renderRouteSpec(r, refs(), false, withGateway)?.targets.map((t) => t.name)).toEqual([
      'backup',
    ]);
  });
});

describe('a local target of a model that serves mTLS (spec.tls)', () => {
  const local = (tls?: RouteTarget['tls']): RouteTarget => ({
    name: 'local',
    provider: 'local',
    model: 'phi-3-mini',
    ...(tls === undefined ? {} : { tls }),
  });
  const tlsRefs = () => ({ ...refs(), tlsModels: new Set(['phi-3-mini']) });
  const plain = { name: 'backup', provider: 'openai', model: 'gpt-4o-mini' };
  const gateway = { 'tls.crt': other.cert, 'tls.key': other.key, 'ca.crt': ca.cert };
  const withGateway = { ...context, gatewayClient: gateway };

  it("is rendered at the model's Service over https, with the gateway's client certificate and CA", () => {
    const r = route('chat', {
      targets: [local({ ca: { gateway: true }, clientCertificate: { gateway: true } }), plain],
    });
    const rendered = renderRouteSpec(r, tlsRefs(), false, withGateway);
    expect(rendered?.targets[0]).toMatchObject({
      name: 'local',
      baseURL: `https://model-phi-3-mini.${r.metadata.namespace ?? ''}.svc:8080/v1`,
      tls: { ca: { gateway: true }, clientCertificate: { gateway: true } },
    });
    expect(upstreamTlsPolicy(r, tlsRefs(), withGateway)?.verdict).toMatchObject({
      status: 'True',
      reason: 'UpstreamTLSResolved',
    });
    expect([...upstreamTlsFiles([rendered!], tlsRefs(), withGateway).keys()]).toEqual([
      'gateway-ca.crt',
      'gateway-client.crt',
      'gateway-client.key',
    ]);
  });

  it('is left out without tls: its model server refuses a caller without a client certificate', () => {
    const r = route('chat', { targets: [local(), plain] });
    expect(upstreamTlsPolicy(r, tlsRefs(), withGateway)?.verdict).toMatchObject({
      status: 'False',
      reason: 'ModelServerRequiresTLS',
    });
    expect(renderRouteSpec(r, tlsRefs(), false, withGateway)?.targets.map((t) => t.name)).toEqual([
      'backup',
    ]);
  });

  it("is left out while the gateway's client certificate is not issued", () => {
    const r = route('chat', {
      targets: [local({ ca: { gateway: true }, clientCertificate: { gateway: true } }), plain],
    });
    expect(upstreamTlsPolicy(r, tlsRefs(), context)?.verdict).toMatchObject({
      status: 'False',
      reason: 'GatewayCertificateUnavailable',
    });
    expect(renderRouteSpec(r, tlsRefs(), false, context)?.targets.map((t) => t.name)).toEqual([
      'backup',
    ]);
  });
});

describe('the Secrets a route references', () => {
  it("include its targets' TLS Secrets, so a change to one reconciles the route and the gateway", () => {
    const r = route('chat', {
      targets: [
        secured(),
        secured({ ca: { gateway: true }, clientCertificate: { gateway: true } }),
      ],
    });
    expect(routeSecrets({ ...r, metadata: { ...r.metadata, namespace: 'team' } })).toEqual([
      'team/upstream-ca',
      'team/upstream-client',
    ]);
  });
});
