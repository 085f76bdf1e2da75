/**
 * Structured logs, one JSON object per line: `{"level","time","msg",...fields}`. Messages are
 * capitalised and in the past tense ("Applied Deployment"); kind, namespace and name travel as
 * fields, never inside the message.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  with(fields: LogFields): Logger;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  base: LogFields = {},
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (at: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(at) < threshold) return;
    write(
      JSON.stringify(
        { level: at, time: new Date().toISOString(), msg, ...base, ...fields },
        errors,
      ),
    );
  };
  return {
    debug: (msg, fields) => {
      emit('debug', msg, fields);
    },
    info: (msg, fields) => {
      emit('info', msg, fields);
    },
    warn: (msg, fields) => {
      emit('warn', msg, fields);
    },
    error: (msg, fields) => {
      emit('error', msg, fields);
    },
    with: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}

/** JSON.stringify replacer that keeps an Error's message. */
function errors(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
