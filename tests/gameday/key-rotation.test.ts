// Game day: keys and certificates rotated under a steady load (`make gameday`, docs/gameday.md).
// JWKS: a real dataplane process's contract gets a second signing key (new kid) in keys/jwks.json,
// as the operator's render of an issuer's JWKS would write it; clients move to tokens of the new
// key; a token of the old key still works until its own expiry, and any token of the old key is
// refused once the key is withdrawn. TLS: a dataplane serving HTTPS gets a new serving certificate
// in tls/ (as kubelet swaps a Secret volume), which its listener swaps in with setSecureContext.
// RTO: 0 when no answer failed; RPO: the answers that failed. Skipped unless GAMEDAY=1.
import { Agent } from 'node:https';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  call,
  chat,
  SERVER_NAME,
  startTlsDataplane,
  type TlsDataplane,
} from '../security/support.ts';
import {
  ALL_SCOPES,
  AUDIENCE,
  ISSUER,
  makeConfigDir,
  type ConfigDir,
} from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { eventually } from '../support/eventually.ts';
import { issue } from '../support/x509.ts';
import { enabled, failures, sleep, startLoad, stopChild } from './support.ts';

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: object;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

/** A token of tenant acme signed by `key`, expiring `ttlS` seconds from now (may be negative). */
const sign = (key: Key, ttlS: number) =>
  new SignJWT({ tenant: 'acme', scope: ALL_SCOPES.join(' ') })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('gameday')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
    .sign(key.privateKey);

describe.skipIf(!enabled)('game day: the JWKS signing key rotated under load', () => {
  let config: ConfigDir;
  let dataplane: DataplaneProcess;
  let old: Key;
  let next: Key;
  const started: { config?: ConfigDir; dataplane?: DataplaneProcess } = {};

  beforeAll(async () => {
    config = await makeConfigDir({ prompts: false });
    started.config = config;
    [old, next] = await Promise.all([newKey('k1'), newKey('k2')]);
    await config.write('keys/jwks.json', { keys: [old.jwk] });
    dataplane = await spawnDataplane(config.dir, inject('redisUrl'));
    started.dataplane = dataplane;
  });

  afterAll(async () => {
    await stopChild(started.dataplane?.child);
    await started.config?.cleanup();
  });

  /** The status and error code of one call with `token`. */
  const probe = async (token: string) => {
    const response = await fetch(`${dataplane.url}/api/v1/inference`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
      },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] }),
    });
    const body = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, code: body.error?.code ?? '' };
  };

  it('serves every answer across the rotation and refuses the old key once it is withdrawn', async () => {
    const oldLong = await sign(old, 600);
    // The dataplane allows 30 s of clock skew past `exp` (dataplane/src/security/authn.ts), so a
    // token whose exp was 26 s ago has 4 s left.
    const SHORT_S = 4;
    const TOLERANCE_S = 30;
    const oldShort = await sign(old, SHORT_S - TOLERANCE_S);
    const shortExpiry = performance.now() + SHORT_S * 1000;
    const newToken = await sign(next, 600);
    let current = oldLong;
    const load = startLoad({ url: () => dataplane.url, token: () => current });
    await sleep(1000);

    const published = performance.now();
    await config.write('keys/jwks.json', { keys: [old.jwk, next.jwk] });
    await eventually(async () => (await probe(newToken)).status === 200, 15_000);
    const publishedMs = performance.now() - published;
    current = newToken;
    const oldStillValid = await probe(oldLong);
    const shortBeforeExpiry = await probe(oldShort);

    await sleep(Math.max(0, shortExpiry - performance.now()) + 1500);
    const shortAfterExpiry = await probe(oldShort);

    const withdrawn = performance.now();
    await config.write('keys/jwks.json', { keys: [next.jwk] });
    const refused = await eventually(async () => {
      const answer = await probe(oldLong);
      return answer.status === 200 ? undefined : answer;
    }, 15_000);
    const withdrawnMs = performance.now() - withdrawn;
    await sleep(1000);
    await load.stop();

    const after = load.answers.filter((a) => a.sent >= published);
    const failed = after.filter((a) => a.status !== 200);
    console.log(
      `gameday jwks-rotation: new kid served ${publishedMs.toFixed(0)} ms after its publication; ` +
        `${after.length} answers from the publication on, failed: ${failures(after)} (RPO ${failed.length}, RTO 0 when none); ` +
        `an old-key token: ${oldStillValid.status} while both keys are published; one expiring in ${SHORT_S} s (exp plus the 30 s skew allowed): ` +
        `${shortBeforeExpiry.status} before, ${shortAfterExpiry.status} ${shortAfterExpiry.code} after its expiry; ` +
        `the old key withdrawn: its unexpired token refused ${refused.status} ${refused.code} after ${withdrawnMs.toFixed(0)} ms`,
    );

    expect(failed).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
    expect(oldStillValid.status).toBe(200);
    expect(shortBeforeExpiry.status).toBe(200);
    expect(shortAfterExpiry.status).toBe(401);
    expect(refused.status).toBe(401);
  }, 60_000);
});

describe.skipIf(!enabled)("game day: the TLS listener's certificate swapped under load", () => {
  let tls: TlsDataplane;
  const started: { tls?: TlsDataplane } = {};

  beforeAll(async () => {
    tls = await startTlsDataplane({ clientCertificates: 'off' });
    started.tls = tls;
  });

  afterAll(async () => {
    await started.tls?.close();
  });

  it('serves every answer, new connections get the new certificate, kept ones go on', async () => {
    const token = await tls.config.token();
    const answers: { sent: number; status: number; serial: string; error: string }[] = [];
    let stop = false;
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const client = async (agent?: Agent) => {
      for (let i = 0; !stop && i < 10_000; i++) {
        const sent = performance.now();
        const answer = await call(
          tls.port,
          { trust: tls.ca.cert, ...(agent === undefined ? {} : { agent }) },
          { path: '/api/v1/inference', token, body: { model: 'chat', ...chat } },
        ).catch((error: unknown) => ({ status: 0, serverSerial: '', error: String(error) }));
        answers.push({
          sent,
          status: answer.status,
          serial: answer.serverSerial,
          error: 'error' in answer ? answer.error : '',
        });
      }
    };
    const load = Promise.all([client(), client(), client(keptAlive)]);
    await sleep(1000);

    const renewed = issue(tls.ca, {
      commonName: 'gateway',
      dns: [SERVER_NAME],
      usages: ['serverAuth'],
    });
    const swapped = performance.now();
    await tls.writeTls({ cert: renewed.cert, key: renewed.key, ca: tls.ca.cert });
    await eventually(
      async () => answers.some((a) => a.sent > swapped && a.serial === renewed.serial),
      15_000,
    );
    const swapMs = performance.now() - swapped;
    await sleep(1000);
    stop = true;
    await load;
    keptAlive.destroy();

    const after = answers.filter((a) => a.sent >= swapped);
    const failed = after.filter((a) => a.status !== 200);
    const onNew = after.filter((a) => a.serial === renewed.serial).length;
    console.log(
      `gameday tls-rotation: the new certificate served on new connections ${swapMs.toFixed(0)} ms after the write; ` +
        `${after.length} answers from the write on, ${failed.length} failed (RPO; RTO 0 when none), ` +
        `${onNew} over the new certificate, ${after.length - onNew} over the old one (connections opened before)`,
    );

    expect(failed.map((a) => a.error)).toEqual([]);
    expect(onNew).toBeGreaterThan(0);
  }, 60_000);
});
