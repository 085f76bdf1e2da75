/**
 * The MCPGateway's own per-tenant tool-call limit (`spec.toolCallsPerMinute`), over and above
 * the tenant's TenantBudget: a count per tenant, gateway and UTC minute, checked and taken in
 * one step so that replicas racing for the last call admit exactly the limit. With Redis, one
 * Lua script on `<keyPrefix>mcp:calls:{<tenant>}:<gateway>:<minute>` (expiring with its
 * minute); without it (the single-process mode), a count in memory. A refused call takes
 * nothing.
 */
import type { Redis } from 'ioredis';

export type ToolCallDecision = { admitted: true } | { admitted: false; retryAfterS: number };

export interface ToolCallLimiter {
  admit(tenant: string, gateway: string, limit: number, now: number): Promise<ToolCallDecision>;
}

const MINUTE_MS = 60_000;

/** Seconds from now to the next UTC minute, at least 1. */
const untilNextMinute = (now: number): number =>
  Math.max(1, Math.ceil((MINUTE_MS - (now % MINUTE_MS)) / 1000));

/** KEYS[1] the minute's count; ARGV[1] the limit, ARGV[2] its expiry (ms). 1 admitted, 0 not. */
const ADMIT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

export function toolCallKey(prefix: string, tenant: string, gateway: string, now: number): string {
  return `${prefix}mcp:calls:{${tenant}}:${gateway}:${String(Math.floor(now / MINUTE_MS))}`;
}

export class RedisToolCallLimiter implements ToolCallLimiter {
  readonly #redis: Redis;
  readonly #prefix: () => string;

  constructor(redis: Redis, prefix: () => string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async admit(tenant: string, gateway: string, limit: number, now: number) {
    const key = toolCallKey(this.#prefix(), tenant, gateway, now);
    const expiryMs = MINUTE_MS - (now % MINUTE_MS) + 1000;
    const admitted = await this.#redis.eval(ADMIT, 1, key, String(limit), String(expiryMs));
    return admitted === 1
      ? ({ admitted: true } as const)
      : ({ admitted: false, retryAfterS: untilNextMinute(now) } as const);
  }
}

export class MemoryToolCallLimiter implements ToolCallLimiter {
  readonly #counts = new Map<string, number>();

  admit(tenant: string, gateway: string, limit: number, now: number) {
    const key = toolCallKey('', tenant, gateway, now);
    const minute = key.slice(key.lastIndexOf(':'));
    for (const old of this.#counts.keys()) if (!old.endsWith(minute)) this.#counts.delete(old);
    const n = this.#counts.get(key) ?? 0;
    if (n >= limit)
      return Promise.resolve({ admitted: false, retryAfterS: untilNextMinute(now) } as const);
    this.#counts.set(key, n + 1);
    return Promise.resolve({ admitted: true } as const);
  }
}
