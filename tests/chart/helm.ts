/**
 * The chart's test plumbing: the helm that `make helm-lint` builds (.tmp/bin/helm, else one on
 * PATH), kubectl of the test cluster, and `helm template` parsed into objects.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { kubectlBinary } from '../cluster/harness.ts';

export const CHART = fileURLToPath(new URL('../../charts/inference-service/', import.meta.url));
export const CI_VALUES = `${CHART}ci/test-values.yaml`;
/** The Kubernetes version of the test control plane (mk/ci.mk's HELM_KUBE_VERSION). */
export const KUBE_VERSION = '1.37.2';

function findHelm(): string | undefined {
  const built = fileURLToPath(new URL('../../.tmp/bin/helm', import.meta.url));
  if (existsSync(built)) return built;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(`${dir}/helm`)) return `${dir}/helm`;
  }
  return undefined;
}

export const helmBinary = findHelm();
export const NO_HELM =
  'skipped: no helm binary (.tmp/bin/helm or on PATH); `make .tmp/bin/helm` builds it from its Go module';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string | undefined; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number')
          reject(new Error(`${file}: ${err.message}`));
        else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export function helm(args: readonly string[], kubeconfig?: string): Promise<Run> {
  if (helmBinary === undefined) throw new Error(NO_HELM);
  return run(helmBinary, args, {
    env: kubeconfig === undefined ? {} : { KUBECONFIG: kubeconfig },
  });
}

export function kubectl(args: readonly string[], kubeconfig: string, input?: string): Promise<Run> {
  return run(kubectlBinary, ['--kubeconfig', kubeconfig, ...args], { input });
}

/** Succeeds or throws with the command's output. */
export function ok(result: Run, what: string): Run {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  }
  return result;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** `helm template` of the chart with the CI values plus args, as objects. */
export async function template(args: readonly string[] = []): Promise<Manifest[]> {
  const result = ok(
    await helm([
      'template',
      'inference-service',
      CHART,
      '--namespace',
      'inference-system',
      '--kube-version',
      KUBE_VERSION,
      '--values',
      CI_VALUES,
      ...args,
    ]),
    'helm template',
  );
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

export function find(manifests: readonly Manifest[], kind: string, suffix = ''): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.endsWith(suffix));
  if (found === undefined) throw new Error(`no ${kind} *${suffix} rendered`);
  return found;
}
