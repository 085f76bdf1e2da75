import { describe, expect, it } from 'vitest';
import { rotateKeyring } from './key-rotation.ts';
import { parseKeyring, type ResumeKey, type ResumeKeyring } from './resume-keys.ts';

const MIN = 60_000;
const settings = { rotationPeriodMs: 60 * MIN, propagationMs: 2 * MIN, tokenTtlMs: 5 * MIN };
const t = (minutes: number) => new Date(Date.UTC(2026, 10, 26, 12, 0) + minutes * MIN);
const key = (kid: string, minutes: number): ResumeKey => ({
  kid,
  secret: Buffer.alloc(32, kid.length).toString('base64url'),
  createdAt: t(minutes).toISOString(),
});

/** Runs the policy at `minutes`, with the key it would draw then named `k<minutes>`. */
const at = (ring: ResumeKeyring | undefined, minutes: number) =>
  rotateKeyring(ring, key(`k${minutes}`, minutes), t(minutes), settings);

describe('the resume keyring rotation', () => {
  it('starts with one key that signs at once', () => {
    const { keyring, nextChangeMs } = at(undefined, 0);
    expect(keyring).toEqual({ active: 'k0', keys: [key('k0', 0)] });
    expect(nextChangeMs).toBe(60 * MIN);
  });

  it('changes nothing before the rotation period is over', () => {
    const ring = at(undefined, 0).keyring;
    expect(at(ring, 59).keyring).toEqual(ring);
    expect(at(ring, 59).nextChangeMs).toBe(MIN);
  });

  it('publishes the next key verify-only when the period is over', () => {
    const { keyring, nextChangeMs } = at(at(undefined, 0).keyring, 60);
    expect(keyring.active).toBe('k0');
    expect(keyring.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    expect(nextChangeMs).toBe(2 * MIN);
  });

  it('makes the new key active once every replica has had time to read it', () => {
    const staged = at(at(undefined, 0).keyring, 60).keyring;
    expect(at(staged, 61).keyring.active).toBe('k0');
    const activated = at(staged, 62);
    expect(activated.keyring.active).toBe('k60');
    expect(activated.keyring.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    // The old key stays for a propagation delay and a token lifetime after the activation.
    expect(activated.nextChangeMs).toBe(7 * MIN);
  });

  it('drops the old key only after its last tokens have expired everywhere', () => {
    const activated = at(at(at(undefined, 0).keyring, 60).keyring, 62).keyring;
    expect(at(activated, 68).keyring.keys.map((k) => k.kid)).toEqual(['k0', 'k60']);
    expect(at(activated, 69).keyring.keys.map((k) => k.kid)).toEqual(['k60']);
  });

  it('never rotates with a period of 0', () => {
    const ring = at(undefined, 0).keyring;
    const decision = rotateKeyring(ring, key('k9999', 9999), t(9999), {
      ...settings,
      rotationPeriodMs: 0,
    });
    expect(decision).toEqual({ keyring: ring, nextChangeMs: undefined });
  });
});

describe('parsing the published keyring', () => {
  it('reads keys from before rotation existed as published long ago', () => {
    const secret = Buffer.alloc(32, 3).toString('base64url');
    expect(parseKeyring(JSON.stringify({ active: 'a', keys: [{ kid: 'a', secret }] }))).toEqual({
      active: 'a',
      keys: [{ kid: 'a', secret, createdAt: '1970-01-01T00:00:00.000Z' }],
    });
  });

  it.each([
    ['absent', undefined],
    ['not JSON', '{'],
    ['without keys', '{"active":"a"}'],
    ['with a key that is not an object of strings', '{"active":"a","keys":[{"kid":1}]}'],
  ])('refuses one that is %s', (_title, text) => {
    expect(parseKeyring(text)).toBeUndefined();
  });
});
