import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decideCertificates,
  type CertificatesDecision,
  type CertificatesObserved,
  type FreshCertificateKeys,
} from './certificates.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-06-01T00:00:00Z');
const settings = { caLifetimeMs: 90 * DAY, leafLifetimeMs: 9 * DAY, propagationMs: 2 * HOUR };
const names = {
  serving: { commonName: 'inference-gateway', dns: ['inference-gateway.apps.svc'] },
  client: { commonName: 'inference-client', uris: ['spiffe://cluster.local/ns/apps/sa/client'] },
};

/** Keys drawn once and handed out in turn (a long simulation would spend its time drawing). */
const KEYS = Array.from(
  { length: 12 },
  () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
);
let drawn = 0;

function fresh(): FreshCertificateKeys {
  const draw = () => {
    const serial = randomBytes(16);
    serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40; // positive, no leading zero byte
    return { key: KEYS[drawn++ % KEYS.length] ?? KEYS[0]!, serial };
  };
  return { ca: draw(), serving: draw(), client: draw() };
}

/** A pass at `ms` after NOW on what the previous pass rendered. */
function pass(
  ms: number,
  previous?: CertificatesDecision,
  overrides: Partial<CertificatesObserved> = {},
) {
  return decideCertificates({
    existing:
      previous === undefined
        ? {}
        : { ca: previous.ca, serving: previous.serving, client: previous.client },
    names,
    fresh: fresh(),
    now: new Date(NOW.getTime() + ms),
    settings,
    ...overrides,
  });
}

const cert = (pem: string | undefined) => new X509Certificate(pem ?? '');
const bundle = (text: string) =>
  (text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(cert);
const verifies = (leaf: string, caText: string) =>
  bundle(caText).some((ca) => cert(leaf).checkIssued(ca) && cert(leaf).verify(ca.publicKey));
const reasons = (decision: CertificatesDecision) => decision.changes.map((change) => change.reason);

describe('the gateway certificates', () => {
  it('start with a CA that signs at once, and serving and client certificates it issued', () => {
    const first = pass(0);
    expect(reasons(first)).toEqual(['CAIssued', 'CertificateIssued', 'CertificateIssued']);
    expect(cert(first.ca['tls.crt']).ca).toBe(true);
    expect(verifies(first.serving['tls.crt'], first.serving['ca.crt'])).toBe(true);
    expect(verifies(first.client['tls.crt'], first.client['ca.crt'])).toBe(true);
    expect(cert(first.serving['tls.crt']).subjectAltName).toBe('DNS:inference-gateway.apps.svc');
    expect(cert(first.client['tls.crt']).subjectAltName).toBe(
      'URI:spiffe://cluster.local/ns/apps/sa/client',
    );
    expect(first.notAfter.serving).toBe(NOW.getTime() + 9 * DAY);
    expect(first.nextChangeMs).toBe(6 * DAY);
  });

  it('change nothing while every certificate is within two thirds of its lifetime', () => {
    const first = pass(0);
    const later = pass(6 * DAY - 1, first);
    expect(later.changes).toEqual([]);
    expect([later.ca, later.serving, later.client]).toEqual([
      first.ca,
      first.serving,
      first.client,
    ]);
  });

  it('renew the leaves at two thirds of their lifetime, from the same CA', () => {
    const first = pass(0);
    const renewed = pass(6 * DAY, first);
    expect(reasons(renewed)).toEqual(['CertificateIssued', 'CertificateIssued']);
    expect(renewed.serving['tls.crt']).not.toBe(first.serving['tls.crt']);
    expect(renewed.ca).toEqual(first.ca);
  });

  it('re-issue a leaf whose names changed', () => {
    const first = pass(0);
    const moved = pass(HOUR, first, {
      names: { ...names, serving: { commonName: 'inference-gateway', dns: ['gw.apps.svc'] } },
    });
    expect(reasons(moved)).toEqual(['CertificateIssued']);
    expect(cert(moved.serving['tls.crt']).subjectAltName).toBe('DNS:gw.apps.svc');
  });

  it('publish a new CA before it signs, and retire the old one once its leaves are replaced', () => {
    const p = settings.propagationMs;
    let state = pass(0);
    // Leaves renewed on the way (every 6 days) do not matter here: step to the CA's 2/3 point.
    for (let day = 6; day < 60; day += 6) state = pass(day * DAY, state);
    const oldCa = state.ca['tls.crt'];
    const published = pass(60 * DAY, state);
    expect(reasons(published)).toContain('CAPublished');
    expect(published.ca['tls.crt']).toBe(oldCa);
    expect(bundle(published.serving['ca.crt'])).toHaveLength(2);
    expect(verifies(published.serving['tls.crt'], oldCa ?? '')).toBe(true);
    // P from the publication, which X.509's whole seconds can put up to 1 s after notBefore.
    expect(published.nextChangeMs).toBe(1000 + p);
    expect(reasons(pass(60 * DAY + p, published))).not.toContain('CAActivated');

    const activated = pass(60 * DAY + 1000 + p, published);
    expect(reasons(activated)).toEqual(['CAActivated', 'CertificateIssued', 'CertificateIssued']);
    expect(activated.ca['tls.crt']).toBe(published.ca['next.crt']);
    expect(verifies(activated.client['tls.crt'], activated.ca['tls.crt'] ?? '')).toBe(true);
    expect(bundle(activated.client['ca.crt'])).toHaveLength(2);

    const kept = pass(60 * DAY + 1000 + 3 * p - 1, activated);
    expect(bundle(kept.ca['ca.crt'])).toHaveLength(2);
    const retired = pass(60 * DAY + 1000 + 3 * p, kept);
    expect(reasons(retired)).toEqual(['CARetired']);
    expect(bundle(retired.serving['ca.crt'])).toHaveLength(1);
  });

  it('count the propagation delay from the publication, not from the notBefore X.509 cuts to the second', () => {
    const p = settings.propagationMs;
    let state = pass(0);
    for (let day = 6; day < 60; day += 6) state = pass(day * DAY, state);
    const published = pass(60 * DAY + 900, state);
    expect(reasons(published)).toContain('CAPublished');
    expect(reasons(pass(60 * DAY + 899 + p, published))).not.toContain('CAActivated');
    expect(reasons(pass(60 * DAY + 1000 + p, published))).toContain('CAActivated');
  });

  it('keep trusting the old CA and its leaves when the CA Secret is lost', () => {
    const first = pass(0);
    const lost = pass(HOUR, undefined, {
      existing: { serving: first.serving, client: first.client },
    });
    expect(reasons(lost)).toEqual(['CAPublished']);
    expect(lost.serving['tls.crt']).toBe(first.serving['tls.crt']);
    expect(lost.ca['tls.crt']).toBeUndefined();
    expect(verifies(lost.serving['tls.crt'], lost.serving['ca.crt'])).toBe(true);
    const replaced = pass(HOUR + 1000 + settings.propagationMs, lost);
    expect(reasons(replaced)).toEqual(['CAActivated', 'CertificateIssued', 'CertificateIssued']);
  });

  it('never render a leaf whose CA has not been in the bundle for the propagation delay', () => {
    // Every two hours for 200 days (two CA rotations): what every pod trusts (the bundle rendered
    // at least P ago, or the first) always verifies the leaves rendered now.
    const p = settings.propagationMs;
    const rendered: { at: number; ca: string }[] = [];
    let state: CertificatesDecision | undefined;
    for (let ms = 0; ms <= 200 * DAY; ms += 2 * HOUR) {
      state = pass(ms, state);
      rendered.push({ at: ms, ca: state.serving['ca.crt'] });
      const trusted = rendered.filter((r) => r.at <= ms - p).at(-1) ?? rendered[0];
      expect(verifies(state.serving['tls.crt'], trusted?.ca ?? '')).toBe(true);
      expect(verifies(state.client['tls.crt'], trusted?.ca ?? '')).toBe(true);
      expect(state.notAfter.serving).toBeGreaterThan(NOW.getTime() + ms);
    }
  }, 60_000);
});
