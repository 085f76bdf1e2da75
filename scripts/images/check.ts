/**
 * What `make images-check` measures of the images, written to .tmp/images/report.json for
 * tests/images/images.test.ts to assert: the Node.js base and both images built twice from a
 * clean state (no layer cache) out of the last commit (git archive HEAD), with the image ID of
 * each build; each image's size and user; an SBOM per image (syft, CycloneDX); an audit of the
 * production dependencies (npm audit). A report for the same inputs is kept: nothing is rebuilt.
 *
 *   node scripts/images/check.ts   (make images-check sets the environment below)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} must be set`);
  return value;
};
const work = env('IMAGES_WORK');
const nodeVersion = env('NODE_VERSION');
const npmVersion = env('NPM_VERSION');
const baseImage = env('LOCAL_NODE_IMAGE');
const syft = env('SYFT');
const components = ['operator', 'dataplane'] as const;
const imageOf = (component: string): string => `localhost/inference-service-${component}:check`;
/** The paths an image is made of: the build context, the Dockerfiles and the base's recipe. */
const INPUTS = [
  'Dockerfile.dataplane',
  'Dockerfile.operator',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'crds',
  'config',
  'prompts',
  'models',
  'dataplane/src',
  'operator/src',
  'scripts/images',
  'deploy/podman',
];

const run = (command: string, args: readonly string[], extra: NodeJS.ProcessEnv = {}): string =>
  execFileSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
const git = (...args: string[]): string => run('git', args);
const inspect = (image: string, format: string): string =>
  run('podman', ['image', 'inspect', '--format', format, image]);
const log = (line: string): void => {
  console.log(`images-check: ${line}`);
};

const revision = git('rev-parse', 'HEAD');
const sourceDateEpoch = git('log', '-1', '--format=%ct');
const syftVersion = run(syft, ['version', '-o', 'json'], { SYFT_CHECK_FOR_APP_UPDATE: 'false' });
const key = createHash('sha256')
  .update(git('ls-tree', '-r', 'HEAD', '--', ...INPUTS))
  .update(`${nodeVersion} ${npmVersion} ${sourceDateEpoch} ${syftVersion}`)
  .digest('hex');

const reportPath = join(work, 'report.json');
const kept = existsSync(reportPath)
  ? (JSON.parse(readFileSync(reportPath, 'utf8')) as { key?: string })
  : undefined;
const present = components.every((c) => {
  try {
    run('podman', ['image', 'exists', imageOf(c)]);
    return true;
  } catch {
    return false;
  }
});
if (kept?.key === key && present) {
  log(`the images' inputs are unchanged since the last check; ${reportPath} kept`);
  process.exit(0);
}

// The build context: the last commit, so that both rounds build the same bytes.
const context = join(work, 'context');
rmSync(context, { recursive: true, force: true });
mkdirSync(context, { recursive: true });
execFileSync('sh', ['-c', `git archive HEAD | tar -x -C '${context}'`], { stdio: 'inherit' });

const buildEnv = {
  CONTAINER_ENGINE: 'podman',
  NODE_IMAGE: baseImage,
  EXTRA_CA: process.env['EXTRA_CA'] ?? '',
  SOURCE_DATE_EPOCH: sourceDateEpoch,
  IMAGE_VERSION: revision.slice(0, 12),
  IMAGE_REVISION: revision,
  IMAGE_CREATED: new Date(Number(sourceDateEpoch) * 1000).toISOString().replace('.000', ''),
  NO_CACHE: '1',
};
const removeImages = (): void => {
  for (const image of [baseImage, ...components.map(imageOf)]) {
    run('podman', ['image', 'rm', '--force', '--ignore', image]);
  }
};

const rounds: { base: string; images: Record<string, string>; seconds: Record<string, number> }[] =
  [];
for (const round of [1, 2]) {
  removeImages();
  const seconds: Record<string, number> = {};
  let started = Date.now();
  run('scripts/images/node-base.sh', [baseImage, nodeVersion, npmVersion, join(work, 'node')], {
    SOURCE_DATE_EPOCH: sourceDateEpoch,
  });
  seconds['base'] = (Date.now() - started) / 1000;
  const base = inspect(baseImage, '{{.Id}}');
  const images: Record<string, string> = {};
  for (const component of components) {
    started = Date.now();
    run('scripts/images/build.sh', [component, imageOf(component), context], buildEnv);
    seconds[component] = (Date.now() - started) / 1000;
    images[component] = inspect(imageOf(component), '{{.Id}}');
  }
  log(`round ${round}: base ${base.slice(0, 12)}, ${JSON.stringify(images)}`);
  rounds.push({ base, images, seconds });
}

/** CycloneDX from the image's file system: Debian's dpkg database and node_modules' packages. */
function sbom(component: string): { path: string; components: Record<string, number> } {
  const path = join(work, `sbom-${component}.cdx.json`);
  const root = run('podman', ['image', 'mount', imageOf(component)]);
  try {
    run(
      syft,
      [
        'scan',
        `dir:${root}`,
        '--override-default-catalogers',
        'image',
        '--source-name',
        `inference-service-${component}`,
        '--source-version',
        revision.slice(0, 12),
        '-o',
        `cyclonedx-json=${path}`,
        '-q',
      ],
      { SYFT_CHECK_FOR_APP_UPDATE: 'false', SYFT_FILE_METADATA_SELECTION: 'none' },
    );
  } finally {
    run('podman', ['image', 'unmount', imageOf(component)]);
  }
  const document = JSON.parse(readFileSync(path, 'utf8')) as {
    components?: { purl?: string }[];
  };
  const counts: Record<string, number> = {};
  for (const { purl } of document.components ?? []) {
    const type = /^pkg:([^/]+)\//.exec(purl ?? '')?.[1] ?? 'other';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return { path, components: counts };
}

/** npm audit of the production dependencies (a superset of what each image keeps). */
function audit(): { audited: boolean; vulnerabilities?: Record<string, number>; reason?: string } {
  try {
    const out = execFileSync(
      'npm',
      ['audit', '--omit=dev', '--omit=optional', '--json', '--package-lock-only'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { audited: true, vulnerabilities: vulnerabilities(out) ?? {} };
  } catch (error) {
    // npm audit exits 1 when it finds vulnerabilities, and also when it cannot ask.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const parsed = vulnerabilities(stdout);
    if (parsed !== undefined) return { audited: true, vulnerabilities: parsed };
    // npm names the refusal on stderr ("npm warn audit 405 Method Not Allowed - POST ...").
    const detail =
      /audit (\d{3} [^-\n]*)/.exec(stderr)?.[1]?.trim() ??
      /"summary":\s*"([^"]+)"/.exec(stdout)?.[1] ??
      'no answer';
    return { audited: false, reason: `the registry's audit endpoint did not answer: ${detail}` };
  }
}
function vulnerabilities(out: string): Record<string, number> | undefined {
  try {
    const report = JSON.parse(out) as { metadata?: { vulnerabilities?: Record<string, number> } };
    return report.metadata?.vulnerabilities;
  } catch {
    return undefined;
  }
}

const images = Object.fromEntries(
  components.map((component) => [
    component,
    {
      image: imageOf(component),
      ids: rounds.map((r) => r.images[component]),
      sizeBytes: Number(inspect(imageOf(component), '{{.Size}}')),
      user: inspect(imageOf(component), '{{.Config.User}}'),
      buildSeconds: rounds.map((r) => r.seconds[component]),
      sbom: sbom(component),
    },
  ]),
);
const report = {
  key,
  revision,
  sourceDateEpoch: Number(sourceDateEpoch),
  base: {
    image: baseImage,
    node: nodeVersion,
    npm: npmVersion,
    ids: rounds.map((r) => r.base),
    sizeBytes: Number(inspect(baseImage, '{{.Size}}')),
    buildSeconds: rounds.map((r) => r.seconds['base']),
  },
  images,
  audit: audit(),
};
writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
for (const [component, facts] of Object.entries(images)) {
  log(
    `${component}: ${(facts.sizeBytes / 1e6).toFixed(0)} MB, ids ${facts.ids.map((id) => id?.slice(0, 12)).join(' / ')}`,
  );
}
log(
  report.audit.audited
    ? `npm audit: ${JSON.stringify(report.audit.vulnerabilities)}`
    : `not audited: ${report.audit.reason}`,
);
log(`wrote ${reportPath}`);
