/**
 * PromptManifest tooling; `make prompts-validate` and `make prompts-checksum` call it.
 *
 *   node scripts/prompts.ts checksum [--write] <files...>   print (or fix) each spec's checksum
 *   node scripts/prompts.ts validate <files...>             schema, semver, checksum, duplicates
 *   node scripts/prompts.ts breaking --base <rev> <files...>
 *       compare each file with itself at git revision <rev>: a breaking change (removed slice,
 *       removed or newly required or narrowed variable) needs a major version bump
 *
 * Exit status: 0 when every file passed, 1 when one did not, 2 for a usage error. The checks
 * themselves live in dataplane/src/prompts; this script only reads files and git.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { buildPromptCatalog, type LoadedManifest } from '../dataplane/src/prompts/catalog.ts';
import { computeManifestChecksum, withChecksum } from '../dataplane/src/prompts/checksum-edit.ts';
import { checkCompatibility } from '../crds/prompts/compat.ts';
import { parsePromptManifest } from '../crds/prompts/manifest.ts';

const USAGE = `usage:
  node scripts/prompts.ts checksum [--write] <files...>
  node scripts/prompts.ts validate <files...>
  node scripts/prompts.ts breaking --base <git-rev> <files...>`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals: files } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { write: { type: 'boolean', default: false }, base: { type: 'string' } },
  });
  if (files.length === 0) throw new UsageError('name at least one manifest file');
  switch (command) {
    case 'checksum':
      return checksum(files, values.write);
    case 'validate':
      return validate(files);
    case 'breaking':
      if (values.base === undefined) throw new UsageError('breaking needs --base <git-rev>');
      return breaking(files, values.base);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}`);
  }
}

async function checksum(files: readonly string[], write: boolean): Promise<number> {
  let failed = 0;
  for (const file of files) {
    try {
      const text = await readFile(file, 'utf8');
      const sum = computeManifestChecksum(text, file);
      if (!write) {
        console.log(`${sum}  ${file}`);
        continue;
      }
      const fixed = withChecksum(text, sum);
      parsePromptManifest(fixed, file); // never write a checksum onto a manifest that is invalid
      if (fixed === text) console.log(`unchanged ${file}`);
      else {
        await writeFile(file, fixed);
        console.log(`wrote     ${file}  ${sum}`);
      }
    } catch (error) {
      failed++;
      console.error(describe(error));
    }
  }
  return failed === 0 ? 0 : 1;
}

async function validate(files: readonly string[]): Promise<number> {
  const loaded: LoadedManifest[] = [];
  let failed = 0;
  for (const file of files) {
    try {
      const spec = parsePromptManifest(await readFile(file, 'utf8'), file);
      loaded.push({ spec, source: file });
      console.log(`ok ${file}  ${spec.id}@${spec.version}`);
    } catch (error) {
      failed++;
      console.error(describe(error));
    }
  }
  try {
    buildPromptCatalog(loaded);
  } catch (error) {
    failed++;
    console.error(describe(error));
  }
  return failed === 0 ? 0 : 1;
}

async function breaking(files: readonly string[], base: string): Promise<number> {
  if (git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`]) === undefined) {
    throw new UsageError(`${base} is not a git revision here`);
  }
  const top = git(['rev-parse', '--show-toplevel'])?.trim() ?? process.cwd();
  let failed = 0;
  for (const file of files) {
    try {
      const path = relative(top, resolve(file)).split('\\').join('/');
      const old = git(['show', `${base}:${path}`]);
      if (old === undefined) {
        console.log(`new ${file} (absent at ${base})`);
        continue;
      }
      const head = parsePromptManifest(await readFile(file, 'utf8'), file);
      const was = parsePromptManifest(old, `${base}:${path}`, { verifyChecksum: false });
      const report = checkCompatibility(was, head);
      const move = `${was.id}@${was.version} -> ${head.id}@${head.version}`;
      if (report.changes.length === 0) console.log(`ok ${file}  ${move}`);
      else if (report.ok) console.log(`ok ${file}  ${move}: breaking changes, announced`);
      else {
        failed++;
        console.error(
          `${file}: breaking changes without a major version bump (${move}; ` +
            `the next major is ${nextMajor(was.version)}):\n` +
            report.changes.map((change) => `  - ${change.message}`).join('\n'),
        );
      }
    } catch (error) {
      failed++;
      console.error(describe(error));
    }
  }
  return failed === 0 ? 0 : 1;
}

/** The lowest version outside `^version`: 1.4.2 → 2.0.0, 0.3.1 → 0.4.0, 0.0.3 → 0.0.4. */
function nextMajor(version: string): string {
  const release =
    semver.major(version) > 0 ? 'major' : semver.minor(version) > 0 ? 'minor' : 'patch';
  return semver.inc(version, release) ?? version;
}

/** Git's stdout, or undefined when git fails (an unknown revision or path). */
function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // parseArgs reports an unknown or malformed option as a TypeError with an ERR_PARSE_ARGS code.
  const badArgs =
    error instanceof TypeError && String(Reflect.get(error, 'code')).startsWith('ERR_PARSE_ARGS');
  if (!(error instanceof UsageError) && !badArgs) throw error;
  console.error(`${error.message}\n${USAGE}`);
  process.exitCode = 2;
}
