import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parseAuditKeys,
  publicKeyOf,
  RETIRED_KEY_KEPT_MS,
  rotateAuditKeys,
  type AuditKey,
  type AuditKeys,
} from './audit-keys.ts';

const MIN = 60_000;
const DAY = 1440 * MIN;
const settings = { rotationPeriodMs: 60 * MIN, propagationMs: 2 * MIN };
const t = (minutes: number) => new Date(Date.UTC(2026, 10, 26, 12, 0) + minutes * MIN);
const contentKey = Buffer.alloc(32, 5).toString('base64url');

const pairs = new Map<string, string>();
/** The key named `kid`, published at `minutes`: the same key pair for the same kid. */
const key = (kid: string, minutes: number): AuditKey => {
  const privateKey =
    pairs.get(kid) ??
    generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64url');
  pairs.set(kid, privateKey);
  return { kid, privateKey, createdAt: t(minutes).toISOString() };
};

/** The file as the Secret would hold it. */
const text = (value: unknown) => JSON.stringify(value);

/**
 * Runs the policy at `minutes` on the file `previous` rendered, with the key it would draw then
 * named `k<minutes>` and a content key of its own.
 */
const at = (previous: AuditKeys | undefined, minutes: number) =>
  rotateAuditKeys(
    parseAuditKeys(previous === undefined ? undefined : text(previous), t(minutes)),
    {
      key: key(`k${minutes}`, minutes),
      contentKey: Buffer.alloc(32, minutes % 256).toString('base64url'),
    },
    t(minutes),
    settings,
  );

/** The ring through publish (60), activate (62) and retire (64). */
const published = () => at(at(undefined, 0).auditKeys, 60).auditKeys;
const activated = () => at(published(), 62).auditKeys;
const retired = () => at(activated(), 64).auditKeys;

describe('the audit key rotation', () => {
  it('starts with one key that signs at once, no retired keys and a new content key', () => {
    const { auditKeys, nextChangeMs } = at(undefined, 0);
    expect(auditKeys).toEqual({
      active: 'k0',
      keys: [key('k0', 0)],
      retired: [],
      contentKey: Buffer.alloc(32, 0).toString('base64url'),
    });
    expect(nextChangeMs).toBe(60 * MIN);
  });

  it('changes nothing before the rotation period is over', () => {
    const first = at(undefined, 0).auditKeys;
    expect(at(first, 59)).toEqual({ auditKeys: first, nextChangeMs: MIN });
  });

  it('publishes the next key verify-only when the period is over', () => {
    const ring = published();
    expect(ring.active).toBe('k0');
    expect(ring.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    expect(ring.retired).toEqual([]);
    expect(at(ring, 60).nextChangeMs).toBe(2 * MIN);
  });

  it('makes the new key active once every replica has had time to read it', () => {
    expect(at(published(), 61).auditKeys.active).toBe('k0');
    const ring = activated();
    expect(ring.active).toBe('k60');
    expect(ring.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    // A replica that read the activation late signs with k0 for one more propagation delay.
    expect(at(ring, 62).nextChangeMs).toBe(2 * MIN);
  });

  it('retires the old key once no replica signs with it: its public half verifies on', () => {
    expect(at(activated(), 63).auditKeys.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    const ring = retired();
    expect(ring.keys.map((k) => k.kid)).toEqual(['k60']);
    expect(ring.retired).toEqual([
      {
        kid: 'k0',
        publicKey: publicKeyOf(key('k0', 0).privateKey),
        retiredAt: t(64).toISOString(),
      },
    ]);
    const signature = sign(
      null,
      Buffer.from('head'),
      createPrivateKey({
        key: Buffer.from(key('k0', 0).privateKey, 'base64url'),
        format: 'der',
        type: 'pkcs8',
      }),
    );
    const publicKey = createPublicKey({
      key: Buffer.from(ring.retired[0]!.publicKey, 'base64url'),
      format: 'der',
      type: 'spki',
    });
    expect(verify(null, Buffer.from('head'), publicKey, signature)).toBe(true);
  });

  it('prunes a retired key 181 days after it was retired, and says when', () => {
    const ring = retired();
    const prunedAt = 64 + RETIRED_KEY_KEPT_MS / MIN;
    expect(RETIRED_KEY_KEPT_MS).toBe(181 * DAY);
    const never = { ...settings, rotationPeriodMs: 0 };
    const run = (minutes: number) =>
      rotateAuditKeys(
        parseAuditKeys(text(ring), t(minutes)),
        { key: key('x', minutes), contentKey },
        t(minutes),
        never,
      );
    expect(run(64).nextChangeMs).toBe(RETIRED_KEY_KEPT_MS);
    expect(run(prunedAt - 1).auditKeys.retired.map((k) => k.kid)).toEqual(['k0']);
    expect(run(prunedAt - 1).nextChangeMs).toBe(MIN);
    expect(run(prunedAt)).toEqual({ auditKeys: { ...ring, retired: [] }, nextChangeMs: undefined });
  });

  it('keeps the first content key across rotations', () => {
    const first = at(undefined, 0).auditKeys.contentKey;
    expect([published(), activated(), retired()].map((ring) => ring.contentKey)).toEqual([
      first,
      first,
      first,
    ]);
  });

  it('never rotates with a period of 0', () => {
    const first = at(undefined, 0).auditKeys;
    const decision = rotateAuditKeys(
      parseAuditKeys(text(first), t(99_999)),
      { key: key('late', 99_999), contentKey },
      t(99_999),
      { ...settings, rotationPeriodMs: 0 },
    );
    expect(decision).toEqual({ auditKeys: first, nextChangeMs: undefined });
  });
});

describe('an existing audit.json that is not all usable', () => {
  const ring = retired();
  const now = t(100);
  const fresh = { key: key('fresh', 100), contentKey: Buffer.alloc(32, 8).toString('base64url') };
  const rotate = (file: string | undefined) =>
    rotateAuditKeys(parseAuditKeys(file, now), fresh, now, settings).auditKeys;

  it.each([
    ['absent', undefined],
    ['not JSON', '{'],
    ['not an object', '[]'],
  ])('is replaced by a fresh one when it is %s', (_title, file) => {
    expect(rotate(file)).toEqual({
      active: 'fresh',
      keys: [fresh.key],
      retired: [],
      contentKey: fresh.contentKey,
    });
  });

  it.each([
    ['an active kid not among the keys', { ...ring, active: 'gone' }],
    ['no keys', { ...ring, keys: [] }],
    [
      'a key that is not Ed25519',
      { ...ring, keys: [...ring.keys, { ...key('ec', 0), privateKey: p256() }] },
    ],
    [
      'a key that is not base64url',
      { ...ring, keys: [...ring.keys, { ...key('b', 0), privateKey: '!!!!' }] },
    ],
    [
      'a kid the dataplane refuses',
      { ...ring, keys: [...ring.keys, key('a kid', 0)], active: 'a kid' },
    ],
  ])(
    "starts a fresh ring on %s, keeping the content key, the retired keys and the old keys' public halves",
    (_title, file) => {
      const result = rotate(text(file));
      expect(result.active).toBe('fresh');
      expect(result.keys).toEqual([fresh.key]);
      expect(result.contentKey).toBe(ring.contentKey);
      expect(result.retired).toEqual([
        ...ring.retired,
        ...file.keys
          .filter((k) => k.kid === 'k60')
          .map((k) => ({
            kid: k.kid,
            publicKey: publicKeyOf(k.privateKey),
            retiredAt: now.toISOString(),
          })),
      ]);
    },
  );

  it('keeps a valid content key when nothing else of the file parses', () => {
    expect(rotate(text({ contentKey: ring.contentKey, keys: 'no' })).contentKey).toBe(
      ring.contentKey,
    );
  });

  it.each([
    ['too short', Buffer.alloc(16).toString('base64url')],
    ['not base64url', `${ring.contentKey}=`],
    ['not a string', 42],
  ])('draws a new content key when the old one is %s', (_title, value) => {
    expect(rotate(text({ ...ring, contentKey: value })).contentKey).toBe(fresh.contentKey);
  });

  it('drops retired entries that are unusable, and dates one without retiredAt now', () => {
    const good = ring.retired[0]!;
    const file = {
      ...ring,
      retired: [
        { kid: good.kid, publicKey: good.publicKey },
        { kid: 'bad', publicKey: 'AAAA' },
        { kid: 'x', publicKey: publicKeyOf(key('x', 0).privateKey).replace(/^./, '!') },
        'junk',
        { ...good, retiredAt: t(1).toISOString() },
      ],
    };
    expect(rotate(text(file)).retired).toEqual([{ ...good, retiredAt: now.toISOString() }]);
  });
});

/** A PKCS#8 private key that is not Ed25519. */
function p256(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'der' })
    .toString('base64url');
}
