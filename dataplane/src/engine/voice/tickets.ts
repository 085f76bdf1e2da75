import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from '../../security/principal.ts';

/** How long a ticket may wait for its socket. */
export const TICKET_TTL_MS = 30_000;

/**
 * Single-use tickets for browsers, which cannot set `Authorization` on a WebSocket: `issue`
 * remembers the caller's principal under a random ticket for 30 s, `redeem` returns it once.
 * With Redis the redeem is one GETDEL, so a ticket is single use across replicas; without it
 * tickets live in this process.
 */
export interface VoiceTickets {
  issue(principal: Principal): Promise<{ ticket: string; expiresAt: number }>;
  redeem(ticket: string): Promise<Principal | undefined>;
}

interface Stored {
  subject: string;
  tenant: string;
  scopes: string[];
  client?: string;
}

/** `kind` names the socket a ticket opens (`voice`, `xr`): one kind's ticket opens no other. */
export function createVoiceTickets(
  redis: Redis | undefined,
  keyPrefix: () => string,
  kind = 'voice',
): VoiceTickets {
  const memory = new Map<string, { stored: string; expiresAt: number }>();
  const key = (ticket: string) => `${keyPrefix()}${kind}:ticket:${ticket}`;
  const save = async (ticket: string, stored: string) => {
    if (redis !== undefined) await redis.set(key(ticket), stored, 'PX', TICKET_TTL_MS);
    else {
      const now = Date.now();
      for (const [old, entry] of memory) if (entry.expiresAt <= now) memory.delete(old);
      memory.set(ticket, { stored, expiresAt: now + TICKET_TTL_MS });
    }
  };
  const take = async (ticket: string): Promise<string | undefined> => {
    if (redis !== undefined) return (await redis.getdel(key(ticket))) ?? undefined;
    const entry = memory.get(ticket);
    memory.delete(ticket);
    return entry !== undefined && entry.expiresAt > Date.now() ? entry.stored : undefined;
  };
  return {
    async issue(principal) {
      const ticket = randomBytes(24).toString('base64url');
      const stored: Stored = {
        subject: principal.subject,
        tenant: principal.tenant,
        scopes: [...principal.scopes],
        ...(principal.client === undefined ? {} : { client: principal.client }),
      };
      await save(ticket, JSON.stringify(stored));
      return { ticket, expiresAt: Date.now() + TICKET_TTL_MS };
    },
    async redeem(ticket) {
      if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return undefined;
      const text = await take(ticket);
      if (text === undefined) return undefined;
      const stored = JSON.parse(text) as Stored;
      return Object.freeze({ ...stored, scopes: new Set(stored.scopes) });
    },
  };
}
