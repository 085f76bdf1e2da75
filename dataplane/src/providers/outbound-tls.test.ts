import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeServer } from '../../../tests/fakes/fake-server.ts';
import { createCa, issue, type Issued } from '../../../tests/support/x509.ts';
import type { TargetTls } from '../core/route.ts';
import { createOutboundAgents } from './outbound-tls.ts';

const serverCa = createCa('upstream-ca');
const clientCa = createCa('client-ca');
const first = issue(clientCa, { commonName: 'gateway', usages: ['clientAuth'] });
const second = issue(clientCa, { commonName: 'gateway', usages: ['clientAuth'] });
let upstream: FakeServer;

beforeAll(async () => {
  const serving = issue(serverCa, {
    commonName: 'upstream.test',
    dns: ['upstream.test'],
    usages: ['serverAuth'],
  });
  upstream = await new FakeServer(() => ({ kind: 'json', status: 200, body: { ok: true } }), {
    tls: {
      cert: serving.cert,
      key: serving.key,
      ca: clientCa.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
  }).start();
});

afterAll(() => upstream.stop());

const material = (client: Issued, sequence: number): TargetTls => ({
  id: `id-${client.serial}`,
  slot: 'upstream-tls/client',
  sequence,
  ca: serverCa.cert,
  cert: client.cert,
  key: client.key,
  serverName: 'upstream.test',
  notAfter: {},
});

/** The serial of the client certificate the upstream saw on the last request. */
const lastSerial = () => upstream.requests.at(-1)?.clientCertificateSerial;

describe('outbound agents', () => {
  it('present the newest material of a slot, to fetches made before it came too, and never go back to older material', async () => {
    const agents = createOutboundAgents();
    const before = agents.fetchFor('openai-compatible', material(first, 1));
    expect((await before(`${upstream.url}/v1/models`)).status).toBe(200);
    expect(lastSerial()).toBe(first.serial);

    const after = agents.fetchFor('openai-compatible', material(second, 2));
    await (await before(`${upstream.url}/v1/models`)).text();
    expect(lastSerial()).toBe(second.serial);
    await (await after(`${upstream.url}/v1/models`)).text();
    expect(lastSerial()).toBe(second.serial);

    // A provider built late for an older snapshot does not bring its material back.
    const late = agents.fetchFor('openai-compatible', material(first, 1));
    await (await late(`${upstream.url}/v1/models`)).text();
    expect(lastSerial()).toBe(second.serial);
    expect(agents.size).toBe(1);
    await agents.close();
  });

  it('keep slots apart: another upstream or set of files has its own agent', async () => {
    const agents = createOutboundAgents();
    const one = agents.fetchFor('openai-compatible', material(first, 1));
    const other = agents.fetchFor('anthropic', { ...material(second, 1), slot: 'other' });
    await (await one(`${upstream.url}/v1/models`)).text();
    expect(lastSerial()).toBe(first.serial);
    await (await other(`${upstream.url}/v1/models`)).text();
    expect(lastSerial()).toBe(second.serial);
    expect(agents.size).toBe(2);
    await agents.close();
  });
});
