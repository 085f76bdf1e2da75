// Resume-key rotation end to end, on short settings: the operator publishes a new HMAC key
// verify-only, makes it active after the propagation delay and drops the old one after the
// token lifetime plus twice that delay (operator/src/controllers/key-rotation.ts). Meanwhile a
// stream signed by the old key resumes during the overlap, new tokens carry the new kid, and
// once the window is over the old key is gone from the Secret, the directory and the dataplane,
// and a token it signed is refused.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readSse, type SseEvent } from '../support/sse.ts';
import { CONTRACT, eventually, resource, startLoop, type Loop } from './loop.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

/** R: a new key every 8 s; P: 2 s to reach every replica; T: tokens live 2 s. */
const ROTATION_MS = 8000;
const PROPAGATION_MS = 2000;
const TOKEN_TTL_S = 2;
/** A stream of 160 chunks 25 ms apart: about 4 s. */
const SLOW = 'fixed?text=tick&chunks=160&gapMs=25';

interface Ring {
  active: string;
  keys: { kid: string; createdAt?: string }[];
}

let loop: Loop;
let token: string;

/** The kid a resume token was signed with: `base64url(kid:stream:offset:expiry).mac`. */
const kidOf = (resumeToken: string): string =>
  Buffer.from(resumeToken.split('.')[0] ?? '', 'base64url')
    .toString()
    .split(':')[0] ?? '';

/** The keyring as the API server holds it. */
async function secretRing(): Promise<Ring> {
  const secret = await loop.core.readNamespacedSecret({
    namespace: loop.namespace,
    name: CONTRACT.keys,
  });
  return JSON.parse(Buffer.from(secret.data?.['resume.json'] ?? '', 'base64').toString()) as Ring;
}
/** The keyring as the directory holds it. */
async function directoryRing(): Promise<Ring> {
  return JSON.parse(await readFile(join(loop.root, 'keys', 'resume.json'), 'utf8')) as Ring;
}
/** The keyring the dataplane serves. */
function servedRing(): { active: string; kids: string[] } {
  const ring = loop.app.services.config.current?.resumeKeys;
  return { active: ring?.active ?? '', kids: [...(ring?.keys.keys() ?? [])].sort() };
}

const waitFor = <T>(fn: () => T | undefined, timeoutMs: number): Promise<T> =>
  eventually(() => Promise.resolve(fn()), timeoutMs, 20);

describe.skipIf(clusterOff)('resume-key rotation', () => {
  beforeAll(async () => {
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      redisUrl: inject('redisUrl'),
      prefix: 'e2e-rotation',
      operatorEnv: {
        INFERENCE_RESUME_KEY_ROTATION_MS: String(ROTATION_MS),
        INFERENCE_RESUME_KEY_PROPAGATION_MS: String(PROPAGATION_MS),
        INFERENCE_GATEWAY_SETTINGS: JSON.stringify({
          streams: { resumeTtlS: TOKEN_TTL_S, heartbeatMs: 100 },
        }),
      },
    });
    token = await loop.token();
  }, 60_000);

  afterAll(async () => {
    await loop.stop();
  });

  it('resumes an old-key stream during the overlap, signs with the new kid, then retires the old key', async () => {
    await loop.apply([
      resource('ProviderRoute', 'slow', {
        alias: 'slow',
        targets: [{ name: 'mock', provider: 'mock', model: SLOW }],
      }),
    ]);
    // The first key signs at once.
    const first = await waitFor(() => {
      const ring = servedRing();
      return ring.kids.length === 1 ? ring.active : undefined;
    }, 20_000);
    expect((await secretRing()).active).toBe(first);

    // R later a second key is published, verify-only: the first one still signs.
    const second = await waitFor(() => {
      const ring = servedRing();
      return ring.kids.length === 2 ? ring.kids.find((kid) => kid !== first) : undefined;
    }, ROTATION_MS + 10_000);
    const published = Date.now();
    expect(servedRing().active).toBe(first);
    expect(await directoryRing()).toMatchObject({ active: first });
    const ring = await secretRing();
    expect(ring.keys.map((k) => k.kid)).toEqual([first, second]);
    const createdAt = Date.parse(ring.keys[1]?.createdAt ?? '');
    expect(createdAt).toBeLessThanOrEqual(published);

    // A stream opened now gets tokens of the first key; it is read until the second key
    // signs (its heartbeats carry fresh tokens), then the client drops it.
    const abort = new AbortController();
    const response = await loop.post(
      '/api/v1/inference:stream',
      { model: 'slow', messages: [{ role: 'user', content: 'go' }] },
      token,
      abort.signal,
    );
    expect(response.status).toBe(200);
    let lastOldToken: string | undefined;
    let lastOffset = 0;
    let sawNewKid = false;
    const kidsSeen: string[] = [];
    for await (const event of readSse(response.body!)) {
      if (event.event === 'data') lastOffset = Number(event.id);
      if (event.event === 'done') break;
      if (event.event !== 'resume') continue;
      const resumeToken = (JSON.parse(event.data) as { resume_token: string }).resume_token;
      const kid = kidOf(resumeToken);
      if (kidsSeen.at(-1) !== kid) kidsSeen.push(kid);
      if (kid === first) lastOldToken = resumeToken;
      if (kid === second) {
        sawNewKid = true;
        break;
      }
    }
    abort.abort();
    const activated = Date.now();
    expect(sawNewKid, 'the second key never signed while the stream ran').toBe(true);
    expect(kidsSeen).toEqual([first, second]);
    // It signed no sooner than the propagation delay after the operator published it.
    expect(activated - createdAt).toBeGreaterThanOrEqual(PROPAGATION_MS);
    expect(servedRing()).toEqual({ active: second, kids: [first, second].sort() });

    // The overlap: the old key still verifies, so the stream resumes where the client left it.
    const resumed = await loop.post(
      '/api/v1/inference:resume',
      { resume_token: lastOldToken },
      token,
      undefined,
      { 'last-event-id': String(lastOffset) },
    );
    expect(resumed.status).toBe(200);
    const events: SseEvent[] = [];
    for await (const event of readSse(resumed.body!)) events.push(event);
    const offsets = events.filter((e) => e.event === 'data').map((e) => Number(e.id));
    expect(offsets[0]).toBe(lastOffset + 1);
    expect(offsets.at(-1)).toBe(160);
    expect(offsets).toHaveLength(160 - lastOffset);
    expect(events.at(-1)?.event).toBe('done');
    // New tokens, the resumed stream's included, carry the new kid.
    const newTokens = events
      .filter((e) => e.event === 'resume')
      .map((e) => kidOf((JSON.parse(e.data) as { resume_token: string }).resume_token));
    expect(newTokens.length).toBeGreaterThan(0);
    expect(new Set(newTokens)).toEqual(new Set([second]));

    // After P + T past the activation the old key is gone: Secret, directory, dataplane.
    await waitFor(() => (servedRing().kids.includes(first) ? undefined : true), 15_000);
    const retired = Date.now();
    // No sooner than P + T after it could sign, i.e. 2P + T after it was published.
    expect(retired - createdAt).toBeGreaterThanOrEqual(2 * PROPAGATION_MS + TOKEN_TTL_S * 1000);
    expect(servedRing().active).toBe(second);
    expect((await secretRing()).keys.map((k) => k.kid)).not.toContain(first);
    expect((await directoryRing()).keys.map((k) => k.kid)).not.toContain(first);
    // … and a token it signed is refused (the stream itself is still in the buffer).
    const refused = await loop.post(
      '/api/v1/inference:resume',
      { resume_token: lastOldToken },
      token,
    );
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_RESUME_TOKEN');
    expect(body.error.message).toMatch(/retired key/);
    console.info(
      `rotation: published → seen by the dataplane ${published - createdAt} ms, → signing ${activated - createdAt} ms (P = ${PROPAGATION_MS} ms), ` +
        `→ old key gone ${retired - createdAt} ms (2P + T = ${2 * PROPAGATION_MS + TOKEN_TTL_S * 1000} ms); ` +
        `resumed from offset ${lastOffset} with a token of ${first}`,
    );
  }, 60_000);
});
