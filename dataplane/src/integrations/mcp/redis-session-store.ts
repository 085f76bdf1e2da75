/**
 * MCP sessions in Redis, shared by every replica: one hash per session,
 * `<prefix>mcp:session:<id>`, field `state` (the caller binding and what initialize
 * negotiated) and one field `upstream:<server>` per upstream session. Every read restarts the
 * idle expiry.
 */
import type { Redis } from 'ioredis';
import {
  MCP_SESSION_IDLE_MS,
  type McpSession,
  type McpSessionStore,
  type UpstreamSession,
} from './session-store.ts';

const UPSTREAM = 'upstream:';

export class RedisMcpSessionStore implements McpSessionStore {
  readonly #redis: Redis;
  readonly #prefix: () => string;

  /** `prefix`: of every key, read per call (it follows the served gateway.yaml). */
  constructor(redis: Redis, prefix: () => string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(id: string): string {
    return `${this.#prefix()}mcp:session:${id}`;
  }

  async create(id: string, session: Omit<McpSession, 'upstreams'>): Promise<void> {
    await this.#redis
      .multi()
      .hset(this.#key(id), 'state', JSON.stringify(session))
      .pexpire(this.#key(id), MCP_SESSION_IDLE_MS)
      .exec();
  }

  async get(id: string): Promise<McpSession | undefined> {
    const replies = await this.#redis
      .multi()
      .hgetall(this.#key(id))
      .pexpire(this.#key(id), MCP_SESSION_IDLE_MS)
      .exec();
    const fields = (replies?.[0]?.[1] ?? {}) as Record<string, string>;
    const state = fields['state'];
    if (state === undefined) return undefined;
    const upstreams: Record<string, UpstreamSession> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith(UPSTREAM))
        upstreams[field.slice(UPSTREAM.length)] = JSON.parse(value) as UpstreamSession;
    }
    return { ...(JSON.parse(state) as Omit<McpSession, 'upstreams'>), upstreams };
  }

  async setUpstream(id: string, server: string, upstream: UpstreamSession): Promise<void> {
    // Only while the session exists: a session ended meanwhile is not brought back.
    await this.#redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'state') == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 0",
      1,
      this.#key(id),
      `${UPSTREAM}${server}`,
      JSON.stringify(upstream),
    );
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#redis.del(this.#key(id))) > 0;
  }
}
