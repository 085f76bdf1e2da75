import { XrSession, type XrSessionDeps } from './session.ts';

/** How long a session whose socket dropped waits for a new one. */
export const RESUME_WINDOW_MS = 30_000;

/**
 * The XR sessions of this process, by their secret key: a session whose socket went away is
 * kept for 30 s so that a reconnecting client resumes its scene (anchors, frame window, held
 * gesture), then dropped. In memory: a client resumes on the replica that served it (docs/xr.md).
 */
export class XrSessions {
  readonly #sessions = new Map<string, { session: XrSession; expiry?: NodeJS.Timeout }>();

  get size(): number {
    return this.#sessions.size;
  }

  create(deps: XrSessionDeps): XrSession {
    const session = new XrSession(deps);
    this.#sessions.set(session.key, { session });
    return session;
  }

  /** The detached session under `key` for this tenant, taken off its expiry; else undefined. */
  take(key: string, tenant: string): XrSession | undefined {
    const entry = this.#sessions.get(key);
    if (entry?.session.tenant !== tenant || entry.expiry === undefined) return undefined;
    clearTimeout(entry.expiry);
    delete entry.expiry;
    return entry.session;
  }

  /** Its socket went away: the session waits `RESUME_WINDOW_MS` for another. */
  release(session: XrSession): void {
    const entry = this.#sessions.get(session.key);
    if (entry === undefined) return;
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => {
      this.#sessions.delete(session.key);
      session.close();
    }, RESUME_WINDOW_MS).unref();
  }

  /** Ends every session (the app closes). */
  clear(): void {
    for (const { session, expiry } of this.#sessions.values()) {
      clearTimeout(expiry);
      session.close();
    }
    this.#sessions.clear();
  }
}
