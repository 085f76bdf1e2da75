import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { XrSession, type XrSessionDeps, type XrSessionSnapshot } from './session.ts';

/** How long a session whose socket dropped waits for a new one. */
export const RESUME_WINDOW_MS = 30_000;
/** A Redis call a resume waits on (the socket's frames wait behind it) ends by this. */
const REDIS_WAIT_MS = 1000;

/** `promise`'s value, or undefined when it fails or takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms, undefined);
    timer.unref();
    promise.then(resolve, () => {
      resolve(undefined);
    });
  });
}

interface Entry {
  session: XrSession;
  expiry?: NodeJS.Timeout;
  /** The copy this process wrote to Redis, once written (undefined when the write failed). */
  stored?: Promise<string | undefined>;
}

/** A session's copy in Redis: which write it is, and the session. */
interface Kept {
  version: string;
  session: XrSessionSnapshot;
}

/**
 * The XR sessions of this process, by their secret key: a session whose socket went away is
 * kept for 30 s so that a reconnecting client resumes its scene (anchors, frame window, held
 * gesture), then dropped. With Redis, its copy (scene, history: bounded as the session is) is
 * kept there too for the same 30 s, under `<keyPrefix>xr:session:<tenant>:<key>`, so that a
 * reconnect landing on another replica resumes it; the copy is taken with one GETDEL, so only
 * one socket, on one replica, resumes a session, whichever replica it lands on.
 */
export class XrSessions {
  readonly #sessions = new Map<string, Entry>();
  readonly #redis: Redis | undefined;
  readonly #keyPrefix: () => string;

  constructor(redis?: Redis, keyPrefix: () => string = () => '') {
    this.#redis = redis;
    this.#keyPrefix = keyPrefix;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(deps: XrSessionDeps): XrSession {
    const session = new XrSession(deps);
    this.#sessions.set(session.key, { session });
    return session;
  }

  /**
   * The detached session under `key` for this tenant, taken off its expiry: this process's,
   * unless another replica resumed it first, else the copy another replica kept in Redis (made
   * a session here with `deps`, the new socket's); undefined when there is none.
   */
  async take(key: string, tenant: string, deps: XrSessionDeps): Promise<XrSession | undefined> {
    const entry = this.#sessions.get(key);
    if (entry !== undefined) {
      if (entry.session.tenant !== tenant || entry.expiry === undefined) return undefined;
      clearTimeout(entry.expiry);
      delete entry.expiry;
      const version = entry.stored && (await within(entry.stored, REDIS_WAIT_MS));
      if (version === undefined) return entry.session;
      const claimed = await this.#claim(key, tenant);
      // Redis did not answer, or the copy is the one this process wrote: this session is it.
      if (claimed === undefined || claimed?.version === version) return entry.session;
      // Another replica resumed it since (and, if it kept a newer copy, that one is the session).
      this.#sessions.delete(key);
      entry.session.close();
      return claimed === null ? undefined : this.#adopt(claimed, deps);
    }
    const kept = await this.#claim(key, tenant);
    return kept === null || kept === undefined ? undefined : this.#adopt(kept, deps);
  }

  /** A session no socket will come back to (a resume replaced it): ended at once, kept nowhere. */
  discard(session: XrSession): void {
    const entry = this.#sessions.get(session.key);
    if (entry?.session !== session) return;
    clearTimeout(entry.expiry);
    this.#sessions.delete(session.key);
    session.close();
  }

  /** Its socket went away: the session waits `RESUME_WINDOW_MS` for another, here and in Redis. */
  release(session: XrSession): void {
    const entry = this.#sessions.get(session.key);
    if (entry === undefined) return;
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => {
      this.#sessions.delete(session.key);
      session.close();
    }, RESUME_WINDOW_MS).unref();
    const redis = this.#redis;
    if (redis === undefined) return;
    const kept: Kept = { version: randomUUID(), session: session.snapshot() };
    entry.stored = redis
      .set(this.#key(session.key, session.tenant), JSON.stringify(kept), 'PX', RESUME_WINDOW_MS)
      .then(
        () => kept.version,
        () => undefined,
      );
  }

  /** Ends every session (the app closes). */
  clear(): void {
    for (const { session, expiry } of this.#sessions.values()) {
      clearTimeout(expiry);
      session.close();
    }
    this.#sessions.clear();
  }

  /**
   * Takes the copy in Redis (one GETDEL): null when there is none (or it does not parse: a
   * copy from another version), undefined when Redis failed.
   */
  async #claim(key: string, tenant: string): Promise<Kept | null | undefined> {
    if (this.#redis === undefined) return null;
    const raw = await within(this.#redis.getdel(this.#key(key, tenant)), REDIS_WAIT_MS);
    if (raw === null || raw === undefined) return raw;
    try {
      return JSON.parse(raw) as Kept;
    } catch {
      return null;
    }
  }

  /** A session from a kept copy, or undefined when the copy cannot be restored. */
  #adopt(kept: Kept, deps: XrSessionDeps): XrSession | undefined {
    let session: XrSession;
    try {
      session = new XrSession(deps, kept.session);
    } catch {
      return undefined;
    }
    this.#sessions.set(session.key, { session });
    return session;
  }

  /** The copy's key names the session key by its hash: the key is a resume credential. */
  #key(key: string, tenant: string): string {
    const digest = createHash('sha256').update(key).digest('base64url');
    return `${this.#keyPrefix()}xr:session:${tenant}:${digest}`;
  }
}
