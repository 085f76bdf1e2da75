import { describe, expect, it } from 'vitest';
import { createCa, issue } from '../../../tests/support/x509.ts';
import { readTlsMaterial } from './tls-material.ts';

const DAY = 24 * 3600_000;
const ca = createCa('ca');
const serving = issue(ca, { commonName: 'gw', dns: ['gw.svc'] });
const settings = (overrides: object = {}) => ({
  enabled: true,
  clientCertificates: 'required' as const,
  clientIdentities: {},
  ...overrides,
});
/** The contract's tls/ files; an override of null removes the file. */
function files(overrides: Record<string, string | null> = {}): Map<string, string> {
  const map = new Map([
    ['tls/tls.crt', serving.cert],
    ['tls/tls.key', serving.key],
    ['tls/ca.crt', ca.cert],
  ]);
  for (const [path, text] of Object.entries(overrides)) {
    if (text === null) map.delete(path);
    else map.set(path, text);
  }
  return map;
}

describe('the TLS material of the contract', () => {
  it('is read with the expiries of the serving certificate and the CA bundle', () => {
    const material = readTlsMaterial(files(), settings(), Date.now());
    expect(material?.authorities).toHaveLength(1);
    expect(material?.expiries.serving).toBeGreaterThan(Date.now());
    expect(material?.expiries.ca).toBeGreaterThan(Date.now());
  });

  it('is absent when TLS is off, whatever files are there', () => {
    expect(
      readTlsMaterial(files(), settings({ enabled: false, clientCertificates: 'off' }), 0),
    ).toBeUndefined();
  });

  it('does without a CA bundle when client certificates are off', () => {
    const material = readTlsMaterial(
      files({ 'tls/ca.crt': null }),
      settings({ clientCertificates: 'off' }),
      Date.now(),
    );
    expect(material?.ca).toBeUndefined();
  });

  const expired = issue(ca, {
    commonName: 'gw',
    notBefore: new Date(Date.now() - 2 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const later = issue(ca, { commonName: 'gw', notBefore: new Date(Date.now() + DAY) });
  const oldCa = createCa('old', {
    notBefore: new Date(Date.now() - 2 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  it.each([
    [
      'a key of another certificate',
      files({ 'tls/tls.key': issue(ca, { commonName: 'x' }).key }),
      settings(),
      /tls\/tls.key: does not match/,
    ],
    [
      'an expired certificate',
      files({ 'tls/tls.crt': expired.cert, 'tls/tls.key': expired.key }),
      settings(),
      /tls\/tls.crt: expired at/,
    ],
    [
      'a certificate not valid yet',
      files({ 'tls/tls.crt': later.cert, 'tls/tls.key': later.key }),
      settings(),
      /not valid before/,
    ],
    [
      'a key that is not PEM',
      files({ 'tls/tls.key': 'nope' }),
      settings(),
      /not a PEM private key/,
    ],
    [
      'no certificate',
      files({ 'tls/tls.crt': null }),
      settings(),
      /tls\/tls.crt: the file is missing/,
    ],
    ['a leaf in the CA bundle', files({ 'tls/ca.crt': serving.cert }), settings(), /is not a CA/],
    [
      'an expired CA in the bundle',
      files({ 'tls/ca.crt': ca.cert + oldCa.cert }),
      settings(),
      /certificate 1 .* expired/,
    ],
    [
      'a required CA bundle that is missing',
      files({ 'tls/ca.crt': null }),
      settings(),
      /tls\/ca.crt: the file is missing/,
    ],
    [
      'client certificates without TLS',
      files(),
      settings({ enabled: false }),
      /clientCertificates needs tls.enabled/,
    ],
    [
      'identities without client certificates',
      files(),
      settings({ clientCertificates: 'off', clientIdentities: { admin: ['a'] } }),
      /clientIdentities names admin/,
    ],
  ])('is refused with %s', (_, given, tls, message) => {
    expect(() => readTlsMaterial(given, tls, Date.now())).toThrow(message);
  });
});
