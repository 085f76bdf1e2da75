/**
 * Pricing file tooling; `make pricing-checksum` calls it.
 *
 *   node scripts/pricing.ts check <file>   print the checksum the prices need; exit 1 when the file's differs
 *   node scripts/pricing.ts write <file>   rewrite the file's checksum line to that checksum
 *
 * Exit status: 0 when the file is (now) valid, 1 when it is not, 2 for a usage error. The
 * checks live in crds/pricing-check.ts, which the dataplane and the operator use too.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { parsePricing, PricingError, withPricingChecksum } from '../crds/pricing-check.ts';
import { pricingChecksum, type Price } from '../crds/pricing.ts';

const USAGE = 'usage: node scripts/pricing.ts check|write <file>';

async function main(argv: readonly string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if ((command !== 'check' && command !== 'write') || file === undefined || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const text = await readFile(file, 'utf8');
  const prices = (parse(text) as { prices?: Price[] } | null)?.prices ?? [];
  const expected = pricingChecksum(prices);
  console.log(`${expected}  ${file}`);
  try {
    if (command === 'write') {
      const fixed = withPricingChecksum(text, expected);
      parsePricing(fixed, file); // never write a checksum onto a file that is invalid otherwise
      if (fixed !== text) await writeFile(file, fixed);
      console.log(fixed === text ? `unchanged ${file}` : `wrote     ${file}`);
    } else {
      parsePricing(text, file);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof PricingError)) throw error;
    console.error(error.message);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
