import { randomUUID } from 'node:crypto';
import { errorFrame } from '../engine/voice/frames.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Principal } from '../security/principal.ts';
import { PollChannel } from './voice-poll-channel.ts';
import { startVoiceUplink, type VoiceSessionOptions, type VoiceUplink } from './voice-uplink.ts';
import { positiveIntEnv, type WsSettings } from './ws-settings.ts';

/**
 * The long-poll form's settings (docs/voice.md), beside the socket's frame and buffer limits,
 * which it shares (`VOICE_WS_MAX_FRAME_BYTES`, `VOICE_WS_MAX_BUFFERED_BYTES`):
 * - `VOICE_POLL_IDLE_MS` (60000): a session with no call for this long is ended and forgotten;
 * - `VOICE_POLL_MAX_SESSIONS` (1000): sessions one replica keeps; one more is OVERLOADED.
 */
export interface PollSettings {
  /** The socket's `Origin` allowlist (VOICE_ALLOWED_ORIGINS), which the poll form keeps too. */
  allowedOrigins: ReadonlySet<string>;
  idleMs: number;
  maxSessions: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
}

export function pollSettings(env: NodeJS.ProcessEnv, ws: WsSettings): PollSettings {
  const int = (name: string, fallback: number) => positiveIntEnv(env, name, fallback);
  return {
    idleMs: int('VOICE_POLL_IDLE_MS', 60_000),
    maxSessions: int('VOICE_POLL_MAX_SESSIONS', 1000),
    allowedOrigins: ws.allowedOrigins,
    maxFrameBytes: ws.maxFrameBytes,
    maxBufferedBytes: ws.maxBufferedBytes,
  };
}

/** One long-polled voice session: its writer, its uplink and whose it is. */
export interface PollSession {
  readonly id: string;
  readonly channel: PollChannel;
  readonly uplink: VoiceUplink;
  readonly owner: string;
  readonly idle: NodeJS.Timeout;
}

const ownerOf = (principal: Principal) => JSON.stringify([principal.tenant, principal.subject]);

/**
 * The long-polled voice sessions this replica serves (a session lives where it was created, as a
 * socket does). A session belongs to the principal (tenant and subject) that created it: to
 * anyone else it is NOT_FOUND, as an unknown one is. Every call on it restarts its idle timer; an
 * ended session (a slow client's) stays readable until the timer forgets it. A drain ends every
 * session with a SHUTTING_DOWN error frame.
 */
export class VoicePolls {
  readonly #settings: PollSettings;
  readonly #sessions = new Map<string, PollSession>();
  readonly #draining: AbortSignal;
  readonly #kept: (count: number) => void;

  /** `kept` is told how many sessions are kept, at every change (the sessions gauge). */
  constructor(settings: PollSettings, draining: AbortSignal, kept: (count: number) => void) {
    this.#settings = settings;
    this.#draining = draining;
    this.#kept = kept;
    draining.addEventListener('abort', () => {
      for (const session of this.#sessions.values())
        session.channel.end(
          errorFrame(session.id, 'SHUTTING_DOWN', 'This replica is draining; open a new session.'),
        );
    });
  }

  get settings(): PollSettings {
    return this.#settings;
  }

  /** A new session of `options.principal`. */
  create(options: Omit<VoiceSessionOptions, 'sessionId'>): PollSession {
    if (this.#draining.aborted)
      throw new ApiError('SHUTTING_DOWN', 'This replica is draining.', { retryAfterS: 1 });
    if (this.#sessions.size >= this.#settings.maxSessions)
      throw new ApiError('OVERLOADED', 'This replica serves as many voice sessions as it may.', {
        retryAfterS: 1,
        details: { reason: 'voice_poll_sessions', limit: this.#settings.maxSessions },
      });
    const id = `vp_${randomUUID()}`;
    const channel = new PollChannel(id, this.#settings.maxBufferedBytes);
    const uplink = startVoiceUplink(
      { ...options, sessionId: id },
      {
        send: (frame) => {
          channel.send(frame);
        },
        closed: channel.closed,
        maxFrameBytes: this.#settings.maxFrameBytes,
      },
    );
    const idle = setTimeout(() => {
      this.#forget(id);
    }, this.#settings.idleMs);
    idle.unref();
    const session = { id, channel, uplink, owner: ownerOf(options.principal), idle };
    this.#sessions.set(id, session);
    this.#kept(this.#sessions.size);
    return session;
  }

  /** The principal's session `id`, its idle timer restarted; NOT_FOUND when it has none. */
  get(principal: Principal, id: string): PollSession {
    const session = this.#sessions.get(id);
    if (session === undefined || session.owner !== ownerOf(principal))
      throw new ApiError('NOT_FOUND', `No voice session ${id}.`, {
        details: { reason: 'voice_session_not_found' },
      });
    session.idle.refresh();
    return session;
  }

  /** Restarts the idle timer of session `id`, if it is still kept. */
  touch(id: string): void {
    this.#sessions.get(id)?.idle.refresh();
  }

  /** Ends the principal's session `id` and forgets it. */
  delete(principal: Principal, id: string): void {
    this.#forget(this.get(principal, id).id);
  }

  /** Ends every session (the app closes). */
  clear(): void {
    for (const id of [...this.#sessions.keys()]) this.#forget(id);
  }

  #forget(id: string): void {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    this.#sessions.delete(id);
    this.#kept(this.#sessions.size);
    clearTimeout(session.idle);
    session.channel.end();
  }
}
