/**
 * The fetch of a target with outbound TLS (`TargetTls`): an undici Agent whose connections
 * present the target's client certificate, trust its CA bundle, verify its server name, and
 * speak TLS 1.2 or newer. One Agent per slot (upstream and the files it reads); new material in
 * a slot (a rotated certificate) makes a new Agent that every later request of the slot uses,
 * old provider instances included, while the old Agent finishes the requests it carries and is
 * then closed (`Agent#close` waits for them). An open stream is never cut by a rotation.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { TargetTls } from '../core/route.ts';
import { MODERN_CIPHERS } from '../core/tls-ciphers.ts';

interface Slot {
  agent: Agent;
  id: string;
  sequence: number;
}

export interface OutboundAgents {
  /** The fetch for requests to `upstream` with `tls`; it always uses the slot's newest material. */
  fetchFor(upstream: string, tls: TargetTls): typeof fetch;
  /** Agents open now (one per slot): what a test of the rotation reads. */
  readonly size: number;
  /** Closes every Agent, after the requests they carry. */
  close(): Promise<void>;
}

export function createOutboundAgents(): OutboundAgents {
  const slots = new Map<string, Slot>();
  const agentOf = (tls: TargetTls) =>
    new Agent({
      connect: {
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
        minVersion: 'TLSv1.2',
        ciphers: MODERN_CIPHERS,
        rejectUnauthorized: true,
      },
    });
  return {
    fetchFor(upstream, tls) {
      const key = `${upstream}\u0000${tls.slot}`;
      const known = slots.get(key);
      let slot: Slot;
      if (known === undefined) {
        slot = { agent: agentOf(tls), id: tls.id, sequence: tls.sequence };
        slots.set(key, slot);
      } else {
        slot = known;
        if (tls.id === slot.id) slot.sequence = Math.max(slot.sequence, tls.sequence);
        // Material of an older snapshot (a provider built late for it) never replaces newer.
        if (tls.id !== slot.id && tls.sequence > slot.sequence) {
          const old = slot.agent;
          Object.assign(slot, { agent: agentOf(tls), id: tls.id, sequence: tls.sequence });
          void old.close();
        }
      }
      const fetchVia = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
        undiciFetch(input as Parameters<typeof undiciFetch>[0], {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher: slot.agent,
        });
      return fetchVia;
    },
    get size() {
      return slots.size;
    },
    async close() {
      await Promise.all([...slots.values()].map((slot) => slot.agent.close()));
      slots.clear();
    },
  };
}
