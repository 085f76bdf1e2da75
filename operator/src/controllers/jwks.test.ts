import { describe, expect, it } from 'vitest';
import { publishJwks, type JwksDecision, type JwksObserved } from './jwks.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const MINUTE = 60_000;
const key = (kid: string) => ({ kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid });
const jwks = (...kids: string[]) => JSON.stringify({ keys: kids.map(key) });
const kids = (decision: JwksDecision) =>
  (JSON.parse(decision.jwks) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

/** A pass `ms` after NOW over `source`, on what `previous` rendered. */
function pass(ms: number, source: string | undefined, previous?: JwksDecision): JwksDecision {
  const observed: JwksObserved = {
    source,
    previous: { jwks: previous?.jwks, removed: previous?.removed },
    now: new Date(NOW.getTime() + ms),
    retentionMs: 60 * MINUTE,
    propagationMs: MINUTE,
  };
  return publishJwks(observed);
}

describe('the published JWKS', () => {
  it('is the source, with no bookkeeping while nothing was removed', () => {
    const first = pass(0, jwks('a'));
    expect(kids(first)).toEqual(['a']);
    expect(first.removed).toBeUndefined();
    expect(first.nextChangeMs).toBeUndefined();
  });

  it('publishes a new key at once, beside the old', () => {
    expect(kids(pass(MINUTE, jwks('a', 'b'), pass(0, jwks('a'))))).toEqual(['a', 'b']);
  });

  it('keeps a removed key for the retention plus the propagation delay, then drops it', () => {
    const both = pass(0, jwks('a', 'b'));
    const removed = pass(10 * MINUTE, jwks('b'), both);
    expect(kids(removed)).toEqual(['b', 'a']);
    expect(JSON.parse(removed.removed ?? '')).toEqual({
      'kid:a': new Date(NOW.getTime() + 10 * MINUTE).toISOString(),
    });
    expect(removed.nextChangeMs).toBe(61 * MINUTE);
    const later = pass(70 * MINUTE, jwks('b'), removed);
    expect(kids(later)).toEqual(['b', 'a']);
    expect(later.nextChangeMs).toBe(MINUTE);
    const dropped = pass(71 * MINUTE, jwks('b'), later);
    expect(kids(dropped)).toEqual(['b']);
    expect(dropped.removed).toBeUndefined();
  });

  it('forgets the removal of a key that comes back', () => {
    const removed = pass(MINUTE, jwks('b'), pass(0, jwks('a', 'b')));
    const back = pass(2 * MINUTE, jwks('a', 'b'), removed);
    expect(kids(back)).toEqual(['a', 'b']);
    expect(back.removed).toBeUndefined();
  });

  it.each([
    ['missing', undefined],
    ['not JSON', 'nope'],
    ['without keys', '{"keys":[]}'],
    ['with a private key', JSON.stringify({ keys: [{ ...key('p'), d: 'secret' }] })],
    ['with a symmetric key', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })],
  ])('keeps what it published when the source is %s', (_, source) => {
    const first = pass(0, jwks('a'));
    const next = pass(MINUTE, source, first);
    expect(kids(next)).toEqual(['a']);
  });
});
