/**
 * Where the API server is and how to authenticate to it, from a kubeconfig or the pod's
 * ServiceAccount. Client certificates, bearer tokens and token files (the in-cluster case,
 * re-read as the kubelet rotates them) are read here directly; any other kind of user (exec
 * plugins, auth providers, basic auth) is handed to @kubernetes/client-node, loaded only then:
 * it weighs about 45 MiB of resident memory, which the operator otherwise does without.
 */
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface Credentials {
  server: URL;
  tls: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    rejectUnauthorized?: boolean;
    servername?: string;
  };
  /** Headers of the next request (a token, re-read when it may have rotated). */
  headers(): Promise<Record<string, string>>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface NamedEntry<T> {
  name: string;
  [field: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
interface KubeconfigFile {
  'current-context'?: string;
  clusters?: NamedEntry<Record<string, unknown>>[];
  users?: NamedEntry<Record<string, unknown>>[];
  contexts?: NamedEntry<{ cluster?: string; user?: string }>[];
}

/** A token read from a file, re-read at most once a minute. */
function tokenFile(
  path: string,
  now: () => number = Date.now,
): () => Promise<Record<string, string>> {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt > 60_000) {
      token = readFileSync(path, 'utf8').trim();
      readAt = now();
    }
    return Promise.resolve({ Authorization: `Bearer ${token}` });
  };
}

/** The pod's ServiceAccount: token, CA and the API server's in-cluster address. */
export function inClusterCredentials(
  env: NodeJS.ProcessEnv = process.env,
  dir = SA_DIR,
): Credentials {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host === undefined) throw new Error('Not in a cluster: KUBERNETES_SERVICE_HOST is unset.');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: new URL(`https://${hostPart}:${port}`),
    tls: { ca: readFileSync(join(dir, 'ca.crt')) },
    headers: tokenFile(join(dir, 'token')),
  };
}

/**
 * Credentials from a kubeconfig file's current context. Resolves through client-node for users
 * this reader does not handle.
 */
export async function kubeconfigCredentials(path: string): Promise<Credentials> {
  const text = readFileSync(path, 'utf8');
  const file = parse(text) as KubeconfigFile;
  const base = dirname(path);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const contextName = file['current-context'];
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  const cluster = file.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = file.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (context === undefined || cluster === undefined) {
    throw new Error(`${path}: the current context "${contextName ?? ''}" names no cluster.`);
  }
  const str = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const bytes = (data: unknown, file: unknown): Buffer | undefined => {
    const d = str(data);
    if (d !== undefined) return Buffer.from(d, 'base64');
    const f = str(file);
    return f === undefined ? undefined : readFileSync(resolve(f));
  };
  const handled = Object.keys(user).every((k) =>
    [
      'client-certificate',
      'client-certificate-data',
      'client-key',
      'client-key-data',
      'token',
      'tokenFile',
    ].includes(k),
  );
  const server = new URL(str(cluster['server']) ?? '');
  const tls: Credentials['tls'] = {};
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca !== undefined) tls.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  const servername = str(cluster['tls-server-name']);
  if (servername !== undefined) tls.servername = servername;
  if (!handled) return clientNodeCredentials(path, server, tls);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  const token = str(user['token']);
  const file_ = str(user['tokenFile']);
  return {
    server,
    tls: { ...tls, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
    headers:
      token !== undefined
        ? () => Promise.resolve({ Authorization: `Bearer ${token}` })
        : file_ !== undefined
          ? tokenFile(resolve(file_))
          : () => Promise.resolve({}),
  };
}

/** Users this reader does not handle: client-node computes their headers (exec plugins and the like). */
async function clientNodeCredentials(
  path: string,
  server: URL,
  tls: Credentials['tls'],
): Promise<Credentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const headers = async (): Promise<Record<string, string>> => {
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
    }
    if (typeof options.auth === 'string')
      out['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return out;
  };
  const probe: RequestOptions = {};
  await kc.applyToHTTPSOptions(probe);
  const asBuffer = (v: unknown): Buffer | undefined =>
    Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : undefined;
  const cert = asBuffer(probe.cert);
  const key = asBuffer(probe.key);
  return {
    server,
    tls: { ...tls, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
    headers,
  };
}

/**
 * The operator's credentials: the kubeconfig at path, else $KUBECONFIG, else the pod's
 * ServiceAccount when in a cluster, else ~/.kube/config.
 */
export async function loadCredentials(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials> {
  const chosen =
    path ??
    (env['KUBECONFIG'] === undefined || env['KUBECONFIG'] === ''
      ? undefined
      : env['KUBECONFIG'].split(':')[0]);
  if (chosen !== undefined) return kubeconfigCredentials(chosen);
  if (env['KUBERNETES_SERVICE_HOST'] !== undefined) return inClusterCredentials(env);
  return kubeconfigCredentials(join(homedir(), '.kube', 'config'));
}
