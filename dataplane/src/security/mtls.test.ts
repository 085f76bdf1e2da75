import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { principalFromClientCertificate } from './mtls.ts';

/** Shaped like what `tlsSocket.getPeerCertificate()` returns. */
function certificate(subject: Record<string, string | string[]>): PeerCertificate {
  return {
    subject,
    issuer: { C: 'ES', O: 'Inference CA', CN: 'inference-ca' },
    subjectaltname: 'DNS:batch-worker.inference.svc',
    valid_from: 'Jan  1 00:00:00 2026 GMT',
    valid_to: 'Jan  1 00:00:00 2027 GMT',
    fingerprint: 'AA:BB',
    fingerprint256: 'AA:BB:CC',
    fingerprint512: 'AA:BB:CC:DD',
    serialNumber: '01',
    raw: Buffer.from([]),
    ca: false,
  };
}

const options = { tenantFrom: 'O', scopes: ['batch:submit'] } as const;

describe('a client certificate', () => {
  it('yields the CN as subject, the tenant from the chosen attribute and the given scopes', () => {
    const cert = certificate({ CN: 'batch-worker', O: 'acme', OU: 'platform' });
    const principal = principalFromClientCertificate(cert, options);
    expect(principal).toEqual({
      subject: 'batch-worker',
      tenant: 'acme',
      scopes: new Set(['batch:submit']),
    });
  });

  it.each([
    ['O', 'acme'],
    ['OU', 'platform'],
    ['CN', 'batch-worker'],
  ] as const)('can name the tenant in %s', (tenantFrom, tenant) => {
    const cert = certificate({ CN: 'batch-worker', O: 'acme', OU: 'platform' });
    expect(principalFromClientCertificate(cert, { tenantFrom, scopes: [] })?.tenant).toBe(tenant);
  });

  it.each([
    ['no certificate', undefined],
    ['the empty object node gives without one', {} as PeerCertificate],
    ['no CN', certificate({ O: 'acme' })],
    ['an empty CN', certificate({ CN: '', O: 'acme' })],
    ['no tenant attribute', certificate({ CN: 'svc' })],
    ['two O attributes', certificate({ CN: 'svc', O: ['acme', 'globex'] })],
    ['a tenant that is not a valid id', certificate({ CN: 'svc', O: 'Acme Corp, Inc.' })],
  ])('yields no principal with %s', (_, cert) => {
    expect(principalFromClientCertificate(cert, options)).toBeUndefined();
  });
});
