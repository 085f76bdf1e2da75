/** Who is calling: the output of authentication, the input of authorization. */
export interface Principal {
  /** The token's `sub`. */
  readonly subject: string;
  /**
   * The identity of the connection's verified client certificate (mTLS: its SPIFFE ID, else
   * DNS SAN, else CN), beside the token's tenant; absent without one.
   */
  readonly client?: string;
  /** Every budget, rate limit, metric label and audit record is keyed by this. */
  readonly tenant: string;
  readonly scopes: ReadonlySet<string>;
  /**
   * The agent type the token's agent claim names (gateway.yaml `agents.claim`,
   * docs/agents.md); absent when the token has none. Never from a header.
   */
  readonly agent?: string;
}

/**
 * A tenant id: 1 to 64 characters of ASCII letters, digits, `.`, `_` and `-`, starting and
 * ending with a letter or digit. Tenant ids end up in Redis keys, metric labels and log fields,
 * so anything that could split a key (`:`), break a label or forge a log line is refused here,
 * once, rather than escaped everywhere.
 */
const TENANT_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

export function isValidTenant(value: unknown): value is string {
  return typeof value === 'string' && TENANT_PATTERN.test(value);
}
