/**
 * What the operator shows in an MCPGateway's status comes from here, not from a guess: every
 * `mcp.yaml` `statusIntervalS`, each replica asks each enabled gateway's servers, with the
 * gateway's credential and timeout, for their tools (initialize, then every page of
 * tools/list), and writes what it saw to Redis (`crds/mcp-status.ts`): reachable or why not,
 * and how many of the listed tools `allowedTools` lets callers use. Only with Redis (the
 * operator reads nothing else) and only while the interval is set. A replica keeps its
 * upstream sessions between rounds, so a round costs one initialize per server at most.
 */
import type { Redis } from 'ioredis';
import { mcpStatusKey, type McpServerReport } from '../../../../crds/mcp-status.ts';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { UpstreamSession } from './session-store.ts';
import { withUpstream } from './upstream.ts';

/** How often a reporter without an interval looks whether one was configured since. */
const IDLE_CHECK_MS = 5000;

/** The report of one server: reachable with its allowed tool count, or the reason it is not. */
export async function reportServer(
  upstream: McpUpstream,
  timeoutMs: number,
  sessions: Map<string, UpstreamSession>,
  config: string,
  now: () => Date = () => new Date(),
): Promise<McpServerReport> {
  const key = upstream.name;
  const link = {
    session: sessions.get(key),
    keep: (session: UpstreamSession) => {
      sessions.set(key, session);
      return Promise.resolve();
    },
  };
  try {
    const tools = await withUpstream(upstream, timeoutMs, link, async (client) => {
      const options = { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) };
      let count = 0;
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, options);
        count += page.tools.filter((tool) => upstream.allowedTools.has(tool.name)).length;
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return count;
    });
    return { reachable: true, tools, checkedAt: now().toISOString(), config };
  } catch (error) {
    sessions.delete(key);
    return {
      reachable: false,
      tools: 0,
      error: (error as Error).message.slice(0, 512),
      checkedAt: now().toISOString(),
      config,
    };
  }
}

export class McpStatusReporter {
  readonly #redis: Redis;
  readonly #current: () => ConfigSnapshot | undefined;
  /** Upstream sessions of this replica's rounds, by gateway and server. */
  readonly #sessions = new Map<string, Map<string, UpstreamSession>>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #closed = false;

  constructor(redis: Redis, current: () => ConfigSnapshot | undefined) {
    this.#redis = redis;
    this.#current = current;
  }

  /** Starts the rounds: the first at once when an interval is configured. */
  start(): void {
    this.#schedule(0);
  }

  /** One round over every enabled gateway of the served snapshot. */
  async round(): Promise<void> {
    const snapshot = this.#current();
    const intervalMs = snapshot?.mcp.statusIntervalMs;
    if (snapshot === undefined || intervalMs === undefined) return;
    const prefix = snapshot.gateway.budgets.keyPrefix;
    await Promise.all(
      [...snapshot.mcp.gateways.values()].map((gateway) =>
        this.#reportGateway(gateway, prefix, snapshot.checksum, intervalMs),
      ),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  async #reportGateway(
    gateway: McpGatewayConfig,
    prefix: string,
    config: string,
    intervalMs: number,
  ): Promise<void> {
    let sessions = this.#sessions.get(gateway.name);
    if (sessions === undefined) {
      sessions = new Map();
      this.#sessions.set(gateway.name, sessions);
    }
    const held = sessions;
    const reports = await Promise.all(
      gateway.upstreams.map(
        async (upstream) =>
          [upstream.name, await reportServer(upstream, gateway.timeoutMs, held, config)] as const,
      ),
    );
    const key = mcpStatusKey(prefix, gateway.name);
    const fields = reports.flatMap(([name, report]) => [name, JSON.stringify(report)]);
    // The hash holds exactly the gateway's servers: a server removed from the spec goes.
    if (fields.length === 0) {
      await this.#redis.del(key);
      return;
    }
    await this.#redis
      .multi()
      .del(key)
      .hset(key, ...fields)
      .pexpire(key, intervalMs * 3)
      .exec();
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#round = this.round()
        .catch(() => undefined) // Redis down: the report expires and the operator says so.
        .finally(() => {
          this.#schedule(this.#current()?.mcp.statusIntervalMs ?? IDLE_CHECK_MS);
        });
    }, ms);
    this.#timer.unref();
  }
}
