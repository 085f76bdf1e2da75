/**
 * Fetches the issuer's JWKS (INFERENCE_AUTH_JWKS_URL) on a schedule, so that the gateway
 * reconcile renders it into keys/jwks.json (controllers/jwks.ts) and the dataplane never
 * fetches anything (zero egress stays possible there). A failed or unusable fetch keeps the
 * last good JWKS and is logged; every change calls `onChange`, which reconciles the gateways.
 */
import type { Logger } from './log.ts';

export interface JwksFetcherOptions {
  url: string;
  /** @default 300000 */
  refreshMs: number;
  /** @default 10000 */
  timeoutMs?: number;
  logger: Logger;
  onChange: () => void;
}

export class JwksFetcher {
  readonly #options: JwksFetcherOptions;
  #current: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: JwksFetcherOptions) {
    this.#options = options;
  }

  /** The last JWKS fetched that had keys, as JSON text; undefined before the first. */
  get current(): string | undefined {
    return this.#current;
  }

  /** Fetches once now, then every `refreshMs`. */
  async start(): Promise<void> {
    await this.fetchOnce();
    this.#timer = setInterval(() => void this.fetchOnce(), this.#options.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One fetch; never throws. */
  async fetchOnce(): Promise<void> {
    const { url, logger } = this.#options;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(parsed.keys) || parsed.keys.length === 0)
        throw new Error('the answer is not a JWKS with keys');
      const text = JSON.stringify({ keys: parsed.keys });
      if (text === this.#current) return;
      this.#current = text;
      logger.info('Fetched a changed JWKS', { url, keys: parsed.keys.length });
      this.#options.onChange();
    } catch (error) {
      logger.warn('Failed to fetch the JWKS; keeping the last one', {
        url,
        reason: (error as Error).message,
      });
    }
  }
}
