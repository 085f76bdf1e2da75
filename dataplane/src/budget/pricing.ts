import { usdToNano } from '../../../crds/budget-period.ts';
import type { Price } from '../../../crds/pricing.ts';
import type { Usage } from '../core/types.ts';

/** One model's price, in nano-USD per million tokens. */
export interface UnitPrice {
  input: bigint;
  cachedInput: bigint;
  output: bigint;
  /** The pricing file's checksum: recorded with every charge. */
  checksum: string;
}

/** The prices of a pricing file, by provider model, each from its effective date. */
export interface PriceTable {
  /** The price that applies at `at` (epoch ms), or undefined: the model has no price. */
  priceOf(provider: string, model: string, at: number): UnitPrice | undefined;
}

const MILLION = 1_000_000n;

export function createPriceTable(
  prices: readonly Price[],
  checksum: string | undefined,
): PriceTable {
  const byModel = new Map<string, { from: number; price: UnitPrice }[]>();
  for (const price of prices) {
    const key = `${price.provider}\u0000${price.model}`;
    const input = BigInt(usdToNano(price.input));
    const entry = {
      from: Date.parse(price.effectiveFrom),
      price: {
        input,
        cachedInput: price.cachedInput === undefined ? input : BigInt(usdToNano(price.cachedInput)),
        output: BigInt(usdToNano(price.output)),
        checksum: checksum ?? '',
      },
    };
    const list = byModel.get(key) ?? [];
    list.push(entry);
    byModel.set(key, list);
  }
  for (const list of byModel.values()) list.sort((a, b) => b.from - a.from);
  return {
    priceOf(provider, model, at) {
      return byModel.get(`${provider}\u0000${model}`)?.find((entry) => entry.from <= at)?.price;
    },
  };
}

/**
 * What `usage` costs at `price`, in nano-USD, rounded up once for the whole request. Cached
 * input tokens are a subset of the input tokens and are charged at the cached price.
 */
export function costOf(usage: Usage, price: UnitPrice): number {
  const cached = BigInt(Math.min(usage.cachedTokens, usage.inputTokens));
  const fresh = BigInt(usage.inputTokens) - cached;
  const product =
    fresh * price.input + cached * price.cachedInput + BigInt(usage.outputTokens) * price.output;
  return Number((product + MILLION - 1n) / MILLION);
}
