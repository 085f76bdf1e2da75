import type { Static, TSchema } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/errors';
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
  const first = Value.Errors(schema, withDefaults).First();
  const error = first === undefined ? undefined : deepest(first);
  if (error !== undefined) {
    const path = error.path === '' ? '(root)' : error.path.slice(1).replaceAll('/', '.');
    throw new ConfigError(`${source}: ${path} ${error.message.toLowerCase()}`);
  }
  return withDefaults;
}

/**
 * For a value that matches no member of a union (`safety.pii`: a string, or an object), the
 * deepest error of the members instead of "expected union value": the one that names the
 * field at fault.
 */
function deepest(error: ValueError): ValueError {
  let best = error;
  for (const member of error.errors) {
    for (const inner of member) {
      const candidate = deepest(inner);
      if (candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best;
}
