import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../core/keyring.ts';
import { ApiError } from '../../errors/api-error.ts';

export interface ResumePosition {
  streamId: string;
  offset: number;
}

export interface ResumeTokens {
  sign(position: ResumePosition): { token: string; expiresAt: number };
  /** Throws INVALID_RESUME_TOKEN for a malformed, tampered, expired or retired-key token. */
  verify(token: string): ResumePosition;
}

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Resume tokens: `base64url(kid:stream:offset:expiry).base64url(HMAC-SHA256(kid:stream:offset:expiry))`.
 * The keyring is read on every call so a config reload rotates keys without a restart.
 */
export function createResumeTokens(options: {
  keyring: () => Keyring;
  /** @default 300 (5 minutes) */
  ttlS?: number;
  now?: () => number;
}): ResumeTokens {
  const ttlMs = (options.ttlS ?? 300) * 1000;
  const now = options.now ?? Date.now;

  const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

  return {
    sign({ streamId, offset }) {
      const { active, keys } = options.keyring();
      const key = keys.get(active);
      if (key === undefined) throw new ApiError('INTERNAL', 'The active resume key is missing.');
      const expiresAt = now() + ttlMs;
      const payload = `${active}:${streamId}:${offset}:${expiresAt}`;
      const token = `${Buffer.from(payload).toString('base64url')}.${mac(key, payload).toString('base64url')}`;
      return { token, expiresAt };
    },

    verify(token) {
      const invalid = (why: string) => new ApiError('INVALID_RESUME_TOKEN', `Resume token ${why}.`);
      const [encoded, signature, extra] = token.split('.');
      if (encoded === undefined || signature === undefined || extra !== undefined) {
        throw invalid('is malformed');
      }
      const payload = Buffer.from(encoded, 'base64url').toString();
      const [kid, streamId, offsetText, expiryText, rest] = payload.split(':');
      if (
        kid === undefined ||
        streamId === undefined ||
        rest !== undefined ||
        !KID.test(kid) ||
        !STREAM_ID.test(streamId) ||
        !/^\d{1,15}$/.test(offsetText ?? '') ||
        !/^\d{1,15}$/.test(expiryText ?? '')
      ) {
        throw invalid('is malformed');
      }
      const key = options.keyring().keys.get(kid);
      if (key === undefined) throw invalid('was signed by an unknown or retired key');
      const expected = mac(key, payload);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw invalid('has an invalid signature');
      }
      if (Number(expiryText) <= now()) throw invalid('has expired');
      return { streamId, offset: Number(offsetText) };
    },
  };
}
