import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A config contract file that cannot be served; the message names the file and the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Applies the schema's defaults to a copy of `value`, then checks it. */
export function parseWith<T extends TSchema>(schema: T, value: unknown, source: string): Static<T> {
  const withDefaults: unknown = Value.Default(schema, Value.Clone(value));
  const error = Value.Errors(schema, withDefaults).First();
  if (error !== undefined) {
    const path = error.path === '' ? '(root)' : error.path.slice(1).replaceAll('/', '.');
    throw new ConfigError(`${source}: ${path} ${error.message.toLowerCase()}`);
  }
  return withDefaults;
}
