/**
 * The pricing file of the config contract (`pricing.yaml`): the price of each provider model per
 * million tokens, with the date each price applies from, and a checksum over the prices. The
 * dataplane charges from it; the chart ships it as a ConfigMap that the operator renders into
 * the contract; CI (`make test`) verifies the repository's copy.
 */
import { Type, type Static } from '@sinclair/typebox';
import { canonicalJson } from './canonical-json.ts';
import { sha256Hex } from './checksum.ts';
import { USD_DECIMAL } from './tenant-budget.ts';

const PerMillion = (what: string) =>
  Type.String({
    pattern: USD_DECIMAL,
    description: `US dollars per million ${what}, as a decimal string with at most 6 fractional digits.`,
  });

export const Price = Type.Object(
  {
    provider: Type.String({
      minLength: 1,
      maxLength: 63,
      description: 'ProviderRoute target provider.',
    }),
    model: Type.String({
      minLength: 1,
      maxLength: 256,
      description: "The provider's own model id.",
    }),
    effectiveFrom: Type.String({
      format: 'date-time',
      description:
        'The instant (RFC 3339) from which this price applies, until a later one for the same model.',
    }),
    input: PerMillion('input tokens (cached ones excluded)'),
    cachedInput: Type.Optional(PerMillion('cached input tokens; the input price when unset')),
    output: PerMillion('output tokens'),
  },
  { additionalProperties: false },
);
export type Price = Static<typeof Price>;

export const PricingFile = Type.Object(
  {
    checksum: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: '`sha256:` and the hex SHA-256 of the RFC 8785 canonical JSON of `prices`.',
    }),
    prices: Type.Array(Price, { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);
export type PricingFile = Static<typeof PricingFile>;

/** The checksum a pricing file must carry for these prices. */
export function pricingChecksum(prices: readonly Price[]): string {
  return `sha256:${sha256Hex(canonicalJson(prices))}`;
}
