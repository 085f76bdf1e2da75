/**
 * MCP sessions (`Mcp-Session-Id`): what a gateway session must remember between requests, so
 * that any replica can continue it. In Redis when the dataplane has one (shared by replicas),
 * in memory otherwise (the single-process mode). A session lives `MCP_SESSION_IDLE_MS` after
 * its last request.
 */
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';

/** How long an unused session is kept. */
export const MCP_SESSION_IDLE_MS = 3_600_000;

/** The gateway's own session with one upstream server, when that server issued one. */
export interface UpstreamSession {
  readonly sessionId: string;
  /** The revision the upstream negotiated; sent as `MCP-Protocol-Version` upstream. */
  readonly protocolVersion: string;
}

export interface McpSession {
  readonly gateway: string;
  /** The caller the session is bound to: another tenant or subject cannot use it. */
  readonly tenant: string;
  readonly principal: string;
  /** The revision negotiated at initialize; later requests must name this one. */
  readonly protocolVersion: string;
  readonly clientCapabilities: ClientCapabilities;
  readonly clientInfo: Implementation;
  /** Upstream sessions by server name. */
  readonly upstreams: Readonly<Record<string, UpstreamSession>>;
}

export interface McpSessionStore {
  create(id: string, session: Omit<McpSession, 'upstreams'>): Promise<void>;
  /** The session, its idle time restarted; undefined when unknown or expired. */
  get(id: string): Promise<McpSession | undefined>;
  /** Remembers an upstream's session; nothing when the session is gone. */
  setUpstream(id: string, server: string, upstream: UpstreamSession): Promise<void>;
  /** Ends the session; false when there was none. */
  delete(id: string): Promise<boolean>;
}

interface Entry {
  session: McpSession;
  expiresAt: number;
}

export class MemoryMcpSessionStore implements McpSessionStore {
  readonly #sessions = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async create(id: string, session: Omit<McpSession, 'upstreams'>): Promise<void> {
    this.#sweep();
    this.#sessions.set(id, {
      session: { ...session, upstreams: {} },
      expiresAt: this.#now() + MCP_SESSION_IDLE_MS,
    });
  }

  async get(id: string): Promise<McpSession | undefined> {
    const entry = this.#sessions.get(id);
    if (entry === undefined || entry.expiresAt <= this.#now()) return undefined;
    entry.expiresAt = this.#now() + MCP_SESSION_IDLE_MS;
    return entry.session;
  }

  async setUpstream(id: string, server: string, upstream: UpstreamSession): Promise<void> {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return;
    entry.session = {
      ...entry.session,
      upstreams: { ...entry.session.upstreams, [server]: upstream },
    };
  }

  async delete(id: string): Promise<boolean> {
    return this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#sessions) if (entry.expiresAt <= now) this.#sessions.delete(id);
  }
}
