import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { inClusterCredentials, kubeconfigCredentials, loadCredentials } from './credentials.ts';

let dir: string;
const b64 = (text: string) => Buffer.from(text).toString('base64');

async function kubeconfig(
  name: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'ctx',
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      clusters: [
        {
          name: 'c',
          cluster: {
            server: 'https://127.0.0.1:6443',
            'certificate-authority-data': b64('CA'),
            ...cluster,
          },
        },
      ],
      users: [{ name: 'u', user }],
    }),
  );
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kubeconfigCredentials', () => {
  it('reads the server, the CA and a client certificate, embedded or from files next to the kubeconfig', async () => {
    await writeFile(join(dir, 'client.key'), 'KEY');
    const c = await kubeconfigCredentials(
      await kubeconfig('certs', {
        'client-certificate-data': b64('CERT'),
        'client-key': 'client.key',
      }),
    );
    expect(c.server.href).toBe('https://127.0.0.1:6443/');
    expect([c.tls.ca?.toString(), c.tls.cert?.toString(), c.tls.key?.toString()]).toEqual([
      'CA',
      'CERT',
      'KEY',
    ]);
    expect(await c.headers()).toEqual({});
  });

  it('sends a bearer token, and re-reads a token file', async () => {
    const token = await kubeconfigCredentials(
      await kubeconfig(
        'token',
        { token: 'abc' },
        { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' },
      ),
    );
    expect(await token.headers()).toEqual({ Authorization: 'Bearer abc' });
    expect(token.tls).toMatchObject({ rejectUnauthorized: false, servername: 'kubernetes' });
    await writeFile(join(dir, 'token-file'), 'from-file\n');
    const file = await kubeconfigCredentials(
      await kubeconfig('token-file.kubeconfig', { tokenFile: 'token-file' }),
    );
    expect(await file.headers()).toEqual({ Authorization: 'Bearer from-file' });
  });

  it('hands other users to client-node (here basic auth)', async () => {
    const c = await kubeconfigCredentials(
      await kubeconfig('basic', { username: 'ann', password: 'pw' }),
    );
    expect(await c.headers()).toEqual({ Authorization: `Basic ${b64('ann:pw')}` });
  });

  it('refuses a context that names no cluster', async () => {
    const path = join(dir, 'broken');
    await writeFile(path, stringify({ 'current-context': 'nope', contexts: [] }));
    await expect(kubeconfigCredentials(path)).rejects.toThrow('names no cluster');
  });
});

describe('inClusterCredentials and loadCredentials', () => {
  it('use the ServiceAccount token and CA, and the service address', async () => {
    await writeFile(join(dir, 'ca.crt'), 'SA-CA');
    await writeFile(join(dir, 'token'), 'sa-token');
    const c = inClusterCredentials(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    );
    expect(c.server.href).toBe('https://[fd00::1]/');
    expect(c.tls.ca?.toString()).toBe('SA-CA');
    expect(await c.headers()).toEqual({ Authorization: 'Bearer sa-token' });
    expect(() => inClusterCredentials({}, dir)).toThrow('Not in a cluster');
  });

  it('prefer an explicit path, then KUBECONFIG', async () => {
    const path = await kubeconfig('explicit', { token: 't1' });
    expect(await (await loadCredentials(path, {})).headers()).toEqual({
      Authorization: 'Bearer t1',
    });
    const fromEnv = await loadCredentials(undefined, { KUBECONFIG: `${path}:/elsewhere` });
    expect(await fromEnv.headers()).toEqual({ Authorization: 'Bearer t1' });
  });
});
