import { EnisError } from './errors.ts';
import { backoffMs, type RetryPolicy } from './retry.ts';
import type { Bearer } from './token.ts';

/** How a gateway socket's life goes, as `VoiceSocket` and `XrSocket` report it. */
export type SocketLifeEvent =
  | { type: 'reconnecting'; attempt: number; delayMs: number; code: number }
  | { type: 'closed'; code: number; reason: string }
  | { type: 'error'; error: EnisError };

/**
 * A single-use ticket for a browser socket (`POST {baseUrl}/api/v1/{surface}/session`, one
 * x-request-id), asked with a refreshed token once when the token was refused.
 */
export function socketTicket(
  fetcher: typeof fetch,
  bearer: Bearer,
  baseUrl: string,
  surface: 'voice' | 'xr',
): Promise<{ ticket: string; url: string }> {
  const requestId = crypto.randomUUID();
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/${surface}/session`;
  return bearer.refreshing(async (token) => {
    const response = await fetcher(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
    });
    if (!response.ok) throw await EnisError.from(response);
    return (await response.json()) as { ticket: string; url: string };
  });
}

/**
 * A ticketed gateway socket, open: a ticket (`socketTicket`), then `new WebSocket` on the
 * ticket's URL (`ws:` or `wss:` after `baseUrl`'s scheme) with subprotocols `protocol` and
 * `ticket.<ticket>`. `created` is told the socket before it opens (so that a `close()` meanwhile
 * reaches it); the promise rejects when it closes before opening.
 */
export async function openTicketedSocket(
  fetcher: typeof fetch,
  bearer: Bearer,
  baseUrl: string,
  surface: 'voice' | 'xr',
  protocol: string,
  created: (socket: WebSocket) => void,
): Promise<WebSocket> {
  const { ticket, url } = await socketTicket(fetcher, bearer, baseUrl, surface);
  const target = new URL(url, baseUrl);
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(target, [protocol, `ticket.${ticket}`]);
  created(socket);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => {
      resolve();
    };
    socket.onclose = (event) => {
      reject(new Error(`the ${surface} socket closed before it opened (${event.code})`));
    };
  });
  return socket;
}

/**
 * A socket's reconnects: after an unexpected close, `connect` again after a backoff, at most
 * `policy.maxRetries` times in a row; a normal close (1000), a stop or a refusal that is not
 * retryable ends it with `closed`.
 */
export class Reconnects {
  readonly #policy: RetryPolicy;
  readonly #report: (event: SocketLifeEvent) => void;
  #failures = 0;

  constructor(policy: RetryPolicy, report: (event: SocketLifeEvent) => void) {
    this.#policy = policy;
    this.#report = report;
  }

  /** The socket is open: the next close starts counting again. */
  opened(): void {
    this.#failures = 0;
  }

  closed(code: number, reason: string, stopped: () => boolean, connect: () => Promise<void>): void {
    if (stopped() || code === 1000) {
      this.#report({ type: 'closed', code, reason });
      return;
    }
    const attempt = this.#failures++;
    if (attempt >= this.#policy.maxRetries) {
      this.#report({ type: 'closed', code, reason });
      return;
    }
    const delayMs = backoffMs(this.#policy, attempt);
    this.#report({ type: 'reconnecting', attempt: attempt + 1, delayMs, code });
    setTimeout(() => {
      if (stopped()) return;
      connect().catch((error: unknown) => {
        if (error instanceof EnisError && !error.retryable) {
          this.#report({ type: 'error', error });
          this.#report({ type: 'closed', code, reason });
        } else this.closed(code, reason, stopped, connect);
      });
    }, delayMs);
  }
}
