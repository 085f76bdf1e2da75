/** The pricing file the repository ships (config/pricing.yaml) and the chart's copy of it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePricing } from '../../../crds/pricing-check.ts';
import { pricingChecksum } from '../../../crds/pricing.ts';
import { RoutesFile } from './contract.ts';
import { parseWith } from './validate.ts';

const root = join(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const EMBEDDED = 'config/pricing.yaml';
const CHART_COPY = 'charts/inference-service/files/pricing.yaml';

describe(EMBEDDED, () => {
  it('carries the checksum of its prices (`make pricing-checksum` writes it)', () => {
    const file = parsePricing(read(EMBEDDED), EMBEDDED);
    expect(file.checksum).toBe(pricingChecksum(file.prices));
  });

  it('prices every model that config/routes.yaml routes to', () => {
    const { prices } = parsePricing(read(EMBEDDED), EMBEDDED);
    const priced = new Set(prices.map((p) => `${p.provider}/${p.model}`));
    const { routes } = parseWith(RoutesFile, parse(read('config/routes.yaml')), 'routes.yaml');
    const targets = routes.flatMap((r) => r.targets.map((t) => `${t.provider}/${t.model ?? ''}`));
    expect(targets.filter((t) => !priced.has(t))).toEqual([]);
  });

  it('is what the chart ships, byte for byte (`make gen` copies it)', () => {
    expect(read(CHART_COPY)).toBe(read(EMBEDDED));
    expect(parsePricing(read(CHART_COPY), CHART_COPY).checksum).toMatch(/^sha256:/);
  });
});
