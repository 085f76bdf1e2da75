import { afterEach, describe, expect, it } from 'vitest';
import { pricingChecksum, type Price } from '../../../crds/pricing.ts';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { ConfigStore } from './config-store.ts';

let config: ConfigDir;
let store: ConfigStore | undefined;

afterEach(async () => {
  store?.close();
  await config.cleanup();
});

const prices: Price[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0.15',
    cachedInput: '0.075',
    output: '0.6',
  },
  {
    provider: 'mock',
    model: 'echo',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '0',
    output: '0',
  },
];

async function load(pricing?: object): Promise<ConfigStore> {
  config = await makeConfigDir();
  if (pricing !== undefined) await config.write('pricing.yaml', pricing);
  store = new ConfigStore([config.dir]);
  await store.reload();
  return store;
}

describe('pricing.yaml in the config snapshot', () => {
  it('is optional: without it no model has a price and there is no checksum', async () => {
    const { current } = await load();
    expect(current?.pricing).toEqual({ checksum: undefined, prices: [] });
  });

  it('carries the prices in file order with their verified checksum', async () => {
    const checksum = pricingChecksum(prices);
    const { current } = await load({ checksum, prices });
    expect(current?.pricing).toEqual({ checksum, prices });
  });

  it('refuses the whole snapshot when the checksum is not that of the prices, naming both', async () => {
    const declared = pricingChecksum(prices.slice(0, 1));
    const loaded = await load({ checksum: declared, prices });
    expect(loaded.current).toBeUndefined();
    expect(loaded.status.lastError).toBe(
      `pricing.yaml: checksum ${declared} does not match the prices (expected ${pricingChecksum(prices)}).`,
    );
  });

  it('keeps serving the old snapshot when a price changes without its checksum', async () => {
    const loaded = await load({ checksum: pricingChecksum(prices), prices });
    const served = loaded.current;
    const raised = [{ ...prices[0]!, output: '0.7' }, prices[1]!];
    await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices: raised });
    await loaded.reload();
    expect(loaded.current).toBe(served);
    expect(loaded.status.lastError).toMatch(/^pricing\.yaml: checksum sha256:\w+ does not match/);
    expect(loaded.status.reloads.refused).toBe(1);
  });

  it('refuses two prices for the same provider, model and effective date', async () => {
    const twice = [...prices, { ...prices[0]!, input: '0.2' }];
    const loaded = await load({ checksum: pricingChecksum(twice), prices: twice });
    expect(loaded.current).toBeUndefined();
    expect(loaded.status.lastError).toBe(
      'pricing.yaml: two prices for provider openai, model gpt-4o-mini from 2026-01-01T00:00:00Z.',
    );
  });

  it('refuses a price that is not a USD decimal string, naming the field', async () => {
    const bad = [{ ...prices[0]!, input: 0.15 }];
    const loaded = await load({
      checksum: pricingChecksum(bad as unknown as Price[]),
      prices: bad,
    });
    expect(loaded.status.lastError).toMatch(/^pricing\.yaml: prices\.0\.input /);
  });
});
