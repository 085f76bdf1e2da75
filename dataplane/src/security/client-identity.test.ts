import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientIdentity, identityAllowed } from './client-identity.ts';

/** Shaped like what `tlsSocket.getPeerCertificate()` returns, with the fields read here. */
function certificate(subject: Record<string, string | string[]>, san?: string): PeerCertificate {
  return { subject, ...(san === undefined ? {} : { subjectaltname: san }) } as PeerCertificate;
}

describe('the identity of a client certificate', () => {
  it.each([
    [
      'its SPIFFE ID first',
      'DNS:a.svc, URI:spiffe://cluster.local/ns/a/sa/b',
      'spiffe://cluster.local/ns/a/sa/b',
    ],
    ['a DNS SAN without a SPIFFE ID', 'URI:https://example.test, DNS:a.svc, DNS:b.svc', 'a.svc'],
    ['the CN without either', 'IP Address:10.0.0.1', 'svc-cn'],
    ['the CN without SANs', undefined, 'svc-cn'],
    [
      'a quoted SAN whole, not split at its comma',
      'URI:"spiffe://a/b, DNS:evil"',
      'spiffe://a/b, DNS:evil',
    ],
  ])('is %s', (_, san, identity) => {
    expect(clientIdentity(certificate({ CN: 'svc-cn' }, san))).toBe(identity);
  });

  it.each([
    ['no name at all', certificate({})],
    ['an empty CN', certificate({ CN: '' })],
    ['two CNs', certificate({ CN: ['a', 'b'] })],
  ])('is undefined with %s', (_, cert) => {
    expect(clientIdentity(cert)).toBeUndefined();
  });
});

describe('an allowed identity', () => {
  const allowed = ['spiffe://cluster.local/ns/ops/*', 'batch-worker'];
  it.each([
    ['spiffe://cluster.local/ns/ops/sa/reports', true],
    ['batch-worker', true],
    ['batch-worker2', false],
    ['spiffe://cluster.local/ns/opsx/sa/a', false],
    ['spiffe://cluster.local/ns/apps/sa/a', false],
  ])('%s is allowed: %s', (identity, expected) => {
    expect(identityAllowed(identity, allowed)).toBe(expected);
  });
});
