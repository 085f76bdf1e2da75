import { describe, expect, it } from 'vitest';
import { createCa, issue } from '../../../tests/support/x509.ts';
import { readUpstreamTls } from './upstream-tls.ts';

const DAY = 24 * 3600_000;
const ca = createCa('upstream-ca');
const client = issue(ca, { commonName: 'gateway', usages: ['clientAuth'] });
const other = issue(ca, { commonName: 'other', usages: ['clientAuth'] });
const expired = issue(ca, {
  commonName: 'gateway',
  notBefore: new Date(Date.now() - 2 * DAY),
  notAfter: new Date(Date.now() - DAY),
});
const WHERE = 'routes.yaml: route chat';

const target = (overrides: object = {}) => ({
  name: 'secure',
  provider: 'openai-compatible' as const,
  baseURL: 'https://upstream.test/v1',
  tls: {
    ca: { secretName: 'upstream' },
    clientCertificate: { secretName: 'client' },
    serverName: 'upstream.test',
  },
  ...overrides,
});

/** `upstream-tls/` of the contract; an override of null removes the file. */
function files(overrides: Record<string, string | null> = {}): Map<string, string> {
  const map = new Map([
    ['upstream-tls/upstream__ca.crt', ca.cert],
    ['upstream-tls/client__tls.crt', client.cert],
    ['upstream-tls/client__tls.key', client.key],
    ['upstream-tls/gateway-ca.crt', ca.cert],
    ['upstream-tls/gateway-client.crt', other.cert],
    ['upstream-tls/gateway-client.key', other.key],
  ]);
  for (const [path, text] of Object.entries(overrides)) {
    if (text === null) map.delete(path);
    else map.set(path, text);
  }
  return map;
}

describe("a target's outbound TLS", () => {
  it('is read from the Secret files with the expiries of the certificate and the bundle', () => {
    const tls = readUpstreamTls(target(), files(), WHERE, Date.now());
    expect(tls).toMatchObject({ ca: ca.cert, cert: client.cert, key: client.key });
    expect(tls.serverName).toBe('upstream.test');
    expect(tls.notAfter.client).toBeGreaterThan(Date.now());
    expect(tls.notAfter.ca).toBeGreaterThan(Date.now());
  });

  it("reads the gateway's own client certificate and CA under their fixed names", () => {
    const tls = readUpstreamTls(
      target({ tls: { ca: { gateway: true }, clientCertificate: { gateway: true } } }),
      files(),
      WHERE,
      Date.now(),
    );
    expect(tls).toMatchObject({ ca: ca.cert, cert: other.cert, key: other.key });
  });

  it('keeps its slot and changes its id when the material changes', () => {
    const before = readUpstreamTls(target(), files(), WHERE, Date.now());
    const after = readUpstreamTls(
      target(),
      files({
        'upstream-tls/client__tls.crt': other.cert,
        'upstream-tls/client__tls.key': other.key,
      }),
      WHERE,
      Date.now(),
    );
    expect(after.slot).toBe(before.slot);
    expect(after.id).not.toBe(before.id);
    expect(after.sequence).toBeGreaterThan(before.sequence);
  });

  it.each([
    [
      'an http:// target',
      target({ baseURL: 'http://upstream.test/v1' }),
      files(),
      /target secure: tls needs an https:\/\/ baseURL, not http:\/\/upstream\.test\/v1/,
    ],
    ['the mock provider', target({ provider: 'mock' }), files(), /mock provider takes no tls/],
    [
      'a local model in this process',
      target({ provider: 'local', baseURL: undefined }),
      files(),
      /local model in this process/,
    ],
    [
      'a missing file',
      target(),
      files({ 'upstream-tls/client__tls.key': null }),
      /target secure: tls: upstream-tls\/client__tls\.key is missing/,
    ],
    [
      'a key that does not match its certificate',
      target(),
      files({ 'upstream-tls/client__tls.key': other.key }),
      /client__tls\.key does not match upstream-tls\/client__tls\.crt/,
    ],
    [
      'an expired client certificate',
      target(),
      files({
        'upstream-tls/client__tls.crt': expired.cert,
        'upstream-tls/client__tls.key': expired.key,
      }),
      /client__tls\.crt: expired at/,
    ],
    [
      'a bundle entry that is not a CA',
      target(),
      files({ 'upstream-tls/upstream__ca.crt': client.cert }),
      /upstream__ca\.crt certificate 0 .* is not a CA/,
    ],
    [
      'a bundle without a certificate',
      target(),
      files({ 'upstream-tls/upstream__ca.crt': 'not pem' }),
      /upstream__ca\.crt holds no certificate/,
    ],
    [
      'a key that is not PEM',
      target(),
      files({ 'upstream-tls/client__tls.key': 'not a key' }),
      /client__tls\.key is not a PEM private key/,
    ],
  ])('refuses %s, naming the target', (_case, spec, contract, message) => {
    expect(() => readUpstreamTls(spec, contract, WHERE, Date.now())).toThrow(message);
  });
});
