import type { ErrorCode } from './error-codes.ts';

export type ProviderKind = 'openai' | 'anthropic' | 'groq' | 'local' | 'openai-compatible' | 'mock';

/** One target of a fallback chain, with references already resolved by the config loader. */
export interface TargetConfig {
  name: string;
  provider: ProviderKind;
  /** The provider's own model id. */
  model: string;
  baseURL?: string;
  /** The credential read from the config contract's secrets; never logged. */
  apiKey?: string;
  /** Time allowed to the first chunk, and between chunks. */
  timeoutMs: number;
  /** Its share of traffic among the targets of its priority (routing/balance.ts). */
  weight: number;
  /** Lower first; targets of one priority share traffic by the route's `balance`. */
  priority: number;
  /** Outbound TLS (`tls` of the target): its CA, client certificate and server name. */
  tls?: TargetTls;
}

/**
 * A target's outbound TLS as the config loader read and checked it (config/upstream-tls.ts).
 * Unset parts take node's defaults: the system's CAs, no client certificate, baseURL's host.
 */
export interface TargetTls {
  /** SHA-256 over the material: changes exactly when it does. */
  readonly id: string;
  /** What it is read from (files and server name): material of one slot replaces the last. */
  readonly slot: string;
  /** Increases with every snapshot read: material from an older snapshot never wins. */
  readonly sequence: number;
  /** PEM: the CA bundle, the client certificate chain (leaf first), its key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
  /** Expiries in epoch ms: the client certificate's and the earliest of the CA bundle's. */
  readonly notAfter: { readonly client?: number; readonly ca?: number };
}

export interface RetryPolicy {
  /** Attempts per target, the first included. @default 2 */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A public model alias and how it is served: the runtime form of a ProviderRoute. */
export interface RouteConfig {
  alias: string;
  targets: TargetConfig[];
  /** Error codes after which the next target is tried. */
  fallbackOn: ReadonlySet<ErrorCode>;
  retry: RetryPolicy;
  circuitBreaker: CircuitBreakerOptions;
  /** What a failure after the first streamed chunk does: an `error` event, or continue on the next target. */
  midStreamFailure: 'Error' | 'Continue';
  /** How targets of one priority share traffic (routing/balance.ts). */
  balance: 'Weighted' | 'LeastOutstanding' | 'Sticky';
  /** The exact answer cache (engine/pipeline/answer-cache.ts); absent: off. */
  cache?: { ttlS: number; sampled: boolean };
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold: number;
  /** How long it stays open before one trial request is let through. @default 30000 */
  openMs: number;
}
