import { describe, expect, it } from 'vitest';
import { createVoiceTickets } from './tickets.ts';

const principal = Object.freeze({
  subject: 'alice',
  tenant: 'acme',
  scopes: new Set(['inference:stream']),
});

describe('voice tickets without Redis', () => {
  it('redeem a ticket once, as the principal that asked for it', async () => {
    const tickets = createVoiceTickets(undefined, () => '');
    const { ticket, expiresAt } = await tickets.issue(principal);
    expect(expiresAt).toBeGreaterThan(Date.now() + 29_000);
    const redeemed = await tickets.redeem(ticket);
    expect(redeemed).toMatchObject({ subject: 'alice', tenant: 'acme' });
    expect([...(redeemed?.scopes ?? [])]).toEqual(['inference:stream']);
    expect(await tickets.redeem(ticket)).toBeUndefined();
  });

  it('refuse a ticket that was never issued or is not one', async () => {
    const tickets = createVoiceTickets(undefined, () => '');
    expect(await tickets.redeem('A'.repeat(32))).toBeUndefined();
    expect(await tickets.redeem('short')).toBeUndefined();
  });
});
