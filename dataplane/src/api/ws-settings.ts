/**
 * The voice socket's settings, per environment from the process environment (docs/voice.md):
 * - `VOICE_ALLOWED_ORIGINS`: comma-separated origins a browser may open the socket from; a
 *   request with any other `Origin` is refused with 403 (none allowed when unset; a server
 *   client sends no `Origin` and is not affected);
 * - `VOICE_WS_PING_MS` (25000): ping interval; a peer that misses one is terminated;
 * - `VOICE_WS_MAX_FRAME_BYTES` (262144): larger frames get a PAYLOAD_TOO_LARGE error frame;
 *   frames over 4 times that close the socket with 1009;
 * - `VOICE_WS_MAX_BUFFERED_BYTES` (1048576): unsent downlink bytes before a slow client is closed.
 */
export interface WsSettings {
  allowedOrigins: ReadonlySet<string>;
  pingMs: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  closeGraceMs: number;
}

/**
 * The positive integer in `env[name]`, or `fallback` when it is unset or empty.
 * @throws Error naming the variable when it holds anything else.
 */
export function positiveIntEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new Error(`${name} must be a positive integer, not ${JSON.stringify(value)}.`);
  return parsed;
}

export function wsSettings(env: NodeJS.ProcessEnv): WsSettings {
  const int = (name: string, fallback: number) => positiveIntEnv(env, name, fallback);
  const origins = (env['VOICE_ALLOWED_ORIGINS'] ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return {
    allowedOrigins: new Set(origins),
    pingMs: int('VOICE_WS_PING_MS', 25_000),
    maxFrameBytes: int('VOICE_WS_MAX_FRAME_BYTES', 256 * 1024),
    maxBufferedBytes: int('VOICE_WS_MAX_BUFFERED_BYTES', 1024 * 1024),
    closeGraceMs: 2000,
  };
}
