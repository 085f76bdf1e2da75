/**
 * Reads what the gateways reported of an MCPGateway's servers (crds/mcp-status.ts) from the
 * Redis they share, read-only: one HGETALL of the gateway's report hash. Nothing here writes
 * to Redis. A command that cannot be answered within the timeout rejects, so a Redis that is
 * down makes the reports unknown quickly instead of stalling a reconcile.
 */
import { Value } from '@sinclair/typebox/value';
import { Redis } from 'ioredis';
import { McpServerReport } from '../../../crds/mcp-status.ts';

export interface McpStatusReader {
  /** The reports in the hash at key, by server; rejects when Redis cannot answer. */
  read(key: string): Promise<Map<string, McpServerReport>>;
  close(): Promise<void>;
}

export class RedisMcpStatusReader implements McpStatusReader {
  readonly #redis: Redis;

  /** `timeoutMs`: how long one read may take, connecting included. */
  constructor(url: string, timeoutMs = 2000) {
    this.#redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    });
    // Errors reach the callers of read(); without a listener ioredis prints each one.
    this.#redis.on('error', () => undefined);
  }

  async read(key: string): Promise<Map<string, McpServerReport>> {
    const hash = await this.#redis.hgetall(key);
    const out = new Map<string, McpServerReport>();
    for (const [server, text] of Object.entries(hash)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue; // Not a report of the gateways': left out, as if unreported.
      }
      if (Value.Check(McpServerReport, value)) out.set(server, value);
    }
    return out;
  }

  close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }
}
