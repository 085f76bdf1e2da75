/**
 * models/tiny is what scripts/build-tiny-model.py writes, byte for byte: the script is
 * deterministic (integer arithmetic and a seeded PCG64 stream, no BLAS) and the committed files
 * are not edited by hand.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const python = '.tmp/venv/bin/python';

describe('the tiny model', () => {
  it('is what its build script writes', { timeout: 60_000 }, async () => {
    expect(existsSync(python), 'run `make test` (it installs onnx and numpy)').toBe(true);
    const result = await promisify(execFile)(python, [
      'scripts/build-tiny-model.py',
      '--check',
    ]).catch((error: unknown) => error as { stdout: string; stderr: string; code: number });
    expect('code' in result ? result.code : 0, `${result.stdout}${result.stderr}`).toBe(0);
  });
});
