/**
 * Checks of a pricing file (crds/pricing.ts) beyond what its schema says: one price per
 * provider, model and effective date, and the checksum over the prices. The dataplane's loader,
 * the operator (at start) and `scripts/pricing.ts` all verify a file through here.
 */
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { PricingFile, pricingChecksum } from './pricing.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

// TypeBox knows no string formats until one is registered; `effectiveFrom` is a date-time.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set(
    'date-time',
    (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)),
  );
}

/** A pricing file that cannot be used; the message names the file. */
export class PricingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PricingError';
  }
}

/** What is wrong with a schema-valid pricing file (a duplicate price, a stale checksum), if anything. */
export function pricingProblem(file: PricingFile): string | undefined {
  const seen = new Set<string>();
  for (const price of file.prices) {
    const key = `${price.provider}/${price.model}@${new Date(price.effectiveFrom).toISOString()}`;
    if (seen.has(key)) {
      return `two prices for provider ${price.provider}, model ${price.model} from ${price.effectiveFrom}.`;
    }
    seen.add(key);
  }
  const expected = pricingChecksum(file.prices);
  if (file.checksum !== expected) {
    return `checksum ${file.checksum} does not match the prices (expected ${expected}).`;
  }
  return undefined;
}

/** The pricing file in `text`, checked whole; throws PricingError naming `source`. */
export function parsePricing(text: string, source: string): PricingFile {
  let value: unknown;
  try {
    value = parse(text) as unknown;
  } catch (error) {
    throw new PricingError(
      `${source}: not valid YAML (${(error as Error).message.split('\n')[0]}).`,
    );
  }
  const error = Value.Errors(PricingFile, value).First();
  if (error !== undefined) {
    const path = error.path === '' ? '(root)' : error.path.slice(1).replaceAll('/', '.');
    throw new PricingError(`${source}: ${path} ${error.message.toLowerCase()}`);
  }
  const problem = pricingProblem(value as PricingFile);
  if (problem !== undefined) throw new PricingError(`${source}: ${problem}`);
  return value as PricingFile;
}

/** `text` with its top-level `checksum:` line set to `checksum` (comments and layout kept). */
export function withPricingChecksum(text: string, checksum: string): string {
  const line = /^checksum:.*$/m;
  if (!line.test(text)) throw new PricingError('the file has no top-level checksum: line.');
  return text.replace(line, `checksum: ${checksum}`);
}
