/**
 * Verifies an audit export (NDJSON: receipts and the checkpoints that anchor them, one tenant)
 * with nothing but the public keys of the checkpoints (docs/audit.md):
 *
 *   node scripts/audit-verify.ts EXPORT.ndjson --key KID=PUBLIC_KEY.pem [--key …]
 *   node scripts/audit-verify.ts EXPORT.ndjson --jwks KEYS.json
 *
 * (KEYS.json: what `GET /api/v1/audit/keys` answers, a JWK set of Ed25519 public keys.)
 * Prints the verified range and exits 0, or the first broken line with its reason and exits 1;
 * a usage error exits 2.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { verifyExport } from '../dataplane/src/audit/chain.ts';
import { parseExport } from '../dataplane/src/audit/parse.ts';

export function main(args: readonly string[]): { code: number; output: string } {
  const keys = new Map<string, KeyObject>();
  let file: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--key') {
      const [kid, path] = (args[++index] ?? '').split('=', 2);
      if (kid === undefined || kid === '' || path === undefined) return usage();
      keys.set(kid, createPublicKey(readFileSync(path)));
    } else if (arg === '--jwks') {
      const path = args[++index];
      if (path === undefined) return usage();
      const set = JSON.parse(readFileSync(path, 'utf8')) as {
        keys?: (JsonWebKey & { kid?: string })[];
      };
      for (const jwk of set.keys ?? []) {
        if (typeof jwk.kid !== 'string') return usage();
        keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      }
    } else if (file === undefined && !arg.startsWith('--')) file = arg;
    else return usage();
  }
  if (file === undefined || keys.size === 0) return usage();
  const parsed = parseExport(readFileSync(file, 'utf8'));
  if (!parsed.ok) return { code: 1, output: `line ${parsed.line}: ${parsed.reason}` };
  const verdict = verifyExport(parsed.lines, keys);
  return verdict.ok
    ? {
        code: 0,
        output: `verified: tenant ${verdict.tenant}, receipts ${verdict.from} to ${verdict.to}, ${verdict.checkpoints} signed checkpoints`,
      }
    : { code: 1, output: `line ${verdict.line}: ${verdict.reason}` };
}

function usage(): { code: number; output: string } {
  return {
    code: 2,
    output:
      'usage: node scripts/audit-verify.ts EXPORT.ndjson (--key KID=PUBLIC_KEY.pem [--key …] | --jwks KEYS.json)',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { code, output } = main(process.argv.slice(2));
  (code === 0 ? console.log : console.error)(output);
  process.exitCode = code;
}
