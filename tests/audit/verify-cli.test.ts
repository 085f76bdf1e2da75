import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append, checkpoint } from '../../dataplane/src/audit/chain.ts';

let dir: string;
let keyFile: string;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
  keyFile = join(dir, 'k1.pem');
  await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportFile(tamper = false): Promise<string> {
  const first = append('acme', undefined, { request_id: 'a', tokens: 3 });
  const second = append('acme', first, { request_id: 'b', tokens: 5 });
  if (tamper) second.receipt = { request_id: 'b', tokens: 0 };
  const lines = [first, second, checkpoint(second, 'k1', privateKey, true)];
  const file = join(dir, `${tamper ? 'tampered' : 'export'}.ndjson`);
  await writeFile(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return file;
}

function run(args: string[]): { code: number; output: string } {
  try {
    const output = execFileSync(process.execPath, ['scripts/audit-verify.ts', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, output };
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    return { code: failed.status, output: failed.stderr };
  }
}

describe('node scripts/audit-verify.ts', () => {
  it('prints the verified range of an untouched export', async () => {
    const result = run([await exportFile(), '--key', `k1=${keyFile}`]);
    expect(result).toEqual({
      code: 0,
      output: 'verified: tenant acme, receipts 1 to 2, 1 signed checkpoints\n',
    });
  });

  it('names the first broken line of an edited export and exits 1', async () => {
    const result = run([await exportFile(true), '--key', `k1=${keyFile}`]);
    expect(result).toEqual({ code: 1, output: 'line 2: hash does not match the receipt\n' });
  });

  it('is a usage error without a key', async () => {
    expect(run([await exportFile()]).code).toBe(2);
  });
});
