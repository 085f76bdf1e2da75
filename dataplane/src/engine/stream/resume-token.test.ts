import { describe, expect, it } from 'vitest';
import type { Keyring } from '../../core/keyring.ts';
import { createResumeTokens } from './resume-token.ts';

const key = (byte: number) => Buffer.alloc(32, byte);

function tokensAt(clock: { now: number }, keyring: Keyring) {
  return createResumeTokens({ keyring: () => keyring, ttlS: 300, now: () => clock.now });
}

describe('resume tokens', () => {
  const keyring: Keyring = { active: 'k1', keys: new Map([['k1', key(1)]]) };

  it('verify to the stream and offset they were signed for', () => {
    const tokens = tokensAt({ now: 1_000 }, keyring);
    const { token, expiresAt } = tokens.sign({ streamId: 'abc_DEF-1', offset: 42 });
    expect(expiresAt).toBe(301_000);
    expect(tokens.verify(token)).toEqual({ streamId: 'abc_DEF-1', offset: 42 });
  });

  it('carry the signing key id and the expiry in their payload', () => {
    const { token } = tokensAt({ now: 5 }, keyring).sign({ streamId: 's', offset: 3 });
    const payload = Buffer.from(token.split('.')[0]!, 'base64url').toString();
    expect(payload).toBe('k1:s:3:300005');
  });

  it('are refused once expired', () => {
    const clock = { now: 0 };
    const tokens = tokensAt(clock, keyring);
    const { token } = tokens.sign({ streamId: 's', offset: 1 });
    clock.now = 300_000;
    expect(() => tokens.verify(token)).toThrow(/expired/);
  });

  it('are refused when any byte of the payload is changed', () => {
    const tokens = tokensAt({ now: 0 }, keyring);
    const { token } = tokens.sign({ streamId: 's', offset: 1 });
    const [, signature] = token.split('.');
    const forged = `${Buffer.from('k1:s:999:300000').toString('base64url')}.${signature!}`;
    expect(() => tokens.verify(forged)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESUME_TOKEN' }),
    );
  });

  it.each([
    '',
    'abc',
    'a.b.c',
    `${Buffer.from('k1:s:x:1').toString('base64url')}.AAAA`,
    `${Buffer.from('k1:s:1').toString('base64url')}.AAAA`,
  ])('are refused as malformed: %j', (token) => {
    expect(() => tokensAt({ now: 0 }, keyring).verify(token)).toThrow(/malformed/);
  });

  it('still verify with the previous key during the rotation overlap, and not after', () => {
    const clock = { now: 0 };
    let ring: Keyring = keyring;
    const tokens = createResumeTokens({ keyring: () => ring, now: () => clock.now });
    const old = tokens.sign({ streamId: 's', offset: 1 }).token;
    ring = {
      active: 'k2',
      keys: new Map([
        ['k1', key(1)],
        ['k2', key(2)],
      ]),
    };
    expect(tokens.verify(old)).toEqual({ streamId: 's', offset: 1 });
    const fresh = tokens.sign({ streamId: 's', offset: 2 }).token;
    expect(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).toMatch(/^k2:/);
    ring = { active: 'k2', keys: new Map([['k2', key(2)]]) };
    expect(() => tokens.verify(old)).toThrow(/unknown or retired key/);
    expect(tokens.verify(fresh).offset).toBe(2);
  });
});
