// The images that `make images-check` built (scripts/images/check.ts): its report asserted, then
// each image run with podman as Kubernetes runs it (uid 1000, read-only root file system, a
// writable /tmp only): the dataplane on its embedded config, the operator against the test
// cluster, reconciling a sample.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { GROUP, VERSION } from '../../crds/common.ts';
import { installCrds } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';
import { operatorIdentity } from '../support/operator-identity.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = join(repo, '.tmp/images');
const unavailable = join(work, 'unavailable');
const reportPath = join(work, 'report.json');
const why = existsSync(unavailable)
  ? 'podman cannot run on this machine (make images-check said so)'
  : existsSync(reportPath)
    ? undefined
    : 'no .tmp/images/report.json: run `make images-check` (make test does)';
if (why !== undefined) console.warn(`tests/images skipped: ${why}`);
const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

interface Report {
  revision: string;
  base: { image: string; ids: string[] };
  images: Record<
    'operator' | 'dataplane',
    { image: string; ids: string[]; sizeBytes: number; user: string; sbom: SbomFacts }
  >;
  audit: { audited: boolean; vulnerabilities?: Record<string, number>; reason?: string };
}
interface SbomFacts {
  path: string;
  components: Record<string, number>;
}

const report = (): Promise<Report> =>
  readFile(reportPath, 'utf8').then((text) => JSON.parse(text) as Report);
// podman's settings of the repository (no raised ulimits, no systemd), as make sets them.
const podmanEnv = { ...process.env, CONTAINERS_CONF: join(repo, 'deploy/podman/containers.conf') };
const podman = async (...args: string[]): Promise<string> =>
  (
    await promisify(execFile)('podman', args, { env: podmanEnv, maxBuffer: 16 * 1024 * 1024 })
  ).stdout.trim();

/** A free loopback port: the containers share the host's network, as in a pod. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => {
        resolve(port);
      });
    });
  });

/** Runs an image as the chart does: read-only root, /tmp on a tmpfs, the user the image sets. */
async function startContainer(image: string, args: readonly string[]): Promise<string> {
  return podman(
    'run',
    '--detach',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,size=64m',
    '--network',
    'host',
    ...args,
    image,
  );
}
const logsOf = (id: string): Promise<string> =>
  promisify(execFile)('podman', ['logs', id], { env: podmanEnv }).then(
    ({ stdout, stderr }) => stdout + stderr,
  );

describe.skipIf(why !== undefined)('the images make images-check built', () => {
  it('are each under 500 MB', async () => {
    const { images } = await report();
    for (const { image, sizeBytes } of Object.values(images)) {
      expect(Number(await podman('image', 'inspect', '--format', '{{.Size}}', image))).toBe(
        sizeBytes,
      );
      expect(sizeBytes).toBeLessThan(500_000_000);
    }
  });

  it('have the same image ID when built twice from a clean state, the base too', async () => {
    const { base, images } = await report();
    expect(base.ids).toHaveLength(2);
    expect(base.ids[0]).toBe(base.ids[1]);
    for (const { image, ids } of Object.values(images)) {
      expect(ids).toHaveLength(2);
      expect(ids[0]).toBe(ids[1]);
      expect(await podman('image', 'inspect', '--format', '{{.Id}}', image)).toBe(ids[1]);
    }
  });

  it('carry the revision they were built from and the base they were built on', async () => {
    const { revision, base, images } = await report();
    for (const { image } of Object.values(images)) {
      const labels = JSON.parse(
        await podman('image', 'inspect', '--format', '{{json .Labels}}', image),
      ) as Record<string, string>;
      expect(labels['org.opencontainers.image.revision']).toBe(revision);
      expect(labels['org.opencontainers.image.base.name']).toBe(base.image);
    }
  });

  it('run as uid 1000 and cannot write their root file system', async () => {
    const { images } = await report();
    for (const { image, user } of Object.values(images)) {
      expect(user).toBe('1000:1000');
      const probe = [
        'const fs = require("node:fs");',
        'let code = "written";',
        'try { fs.writeFileSync("/app/probe", "x"); } catch (e) { code = e.code; }',
        'console.log(process.getuid(), process.getgid(), code);',
      ].join(' ');
      const out = await podman('run', '--rm', '--read-only', image, '-e', probe);
      expect(out).toBe('1000 1000 EROFS');
    }
  });

  it('come with an SBOM that lists the Debian and npm packages inside', async () => {
    const { images } = await report();
    for (const [component, { sbom }] of Object.entries(images)) {
      const document = JSON.parse(await readFile(sbom.path, 'utf8')) as {
        bomFormat: string;
        metadata: { component: { name: string } };
        components: { name: string; purl?: string }[];
      };
      expect(document.bomFormat).toBe('CycloneDX');
      expect(document.metadata.component.name).toBe(`inference-service-${component}`);
      const purls = document.components.map((c) => c.purl ?? '');
      expect(purls.filter((p) => p.startsWith('pkg:deb/debian/libc6@'))).toHaveLength(1);
      expect(purls.filter((p) => p.startsWith('pkg:npm/yaml@')).length).toBeGreaterThan(0);
    }
    // Each image's SBOM names what it keeps and not what it leaves out.
    const names = async (component: 'operator' | 'dataplane'): Promise<string[]> => {
      const path = (await report()).images[component].sbom.path;
      const document = JSON.parse(await readFile(path, 'utf8')) as {
        components: { name: string }[];
      };
      return document.components.map((c) => c.name);
    };
    expect(await names('dataplane')).toContain('onnxruntime-node');
    expect(await names('dataplane')).not.toContain('cdk8s-plus-33');
    expect(await names('operator')).toContain('cdk8s-plus-33');
    expect(await names('operator')).not.toContain('onnxruntime-node');
  });

  it('have production dependencies without a known vulnerability, where the audit could ask', async () => {
    const { audit } = await report();
    if (!audit.audited) {
      // The registry's audit endpoint does not answer every machine (here: 405); said plainly.
      expect(audit.reason).toMatch(/audit endpoint/);
      return;
    }
    const found = Object.entries(audit.vulnerabilities ?? {}).filter(([level, n]) => {
      return level !== 'total' && level !== 'info' && n > 0;
    });
    expect(found).toEqual([]);
  });

  describe('the dataplane image', () => {
    let id: string | undefined;
    let url: string;

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${String(port)}`;
      const { images } = await report();
      id = await startContainer(images.dataplane.image, [
        '--env',
        `PORT=${String(port)}`,
        '--env',
        'HOST=127.0.0.1',
        // The development overlay's keys go to the tmpfs; the tiny fixtures serve chat.
        '--env',
        'DEV_DIR=/tmp/dev',
        '--env',
        'INFERENCE_DEV_MODELS=tiny',
      ]);
      await eventually(
        () =>
          fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          ),
        60_000,
      );
    }, 90_000);

    afterAll(async () => {
      if (id !== undefined) await podman('rm', '--force', id);
    });

    it('answers /healthz', async () => {
      const response = await fetch(`${url}/healthz`);
      expect(response.status).toBe(200);
    });

    it("serves make run's embedded config to the development token it prints", async () => {
      const token = await eventually(
        async () => /export TOKEN=(\S+)/.exec(await logsOf(id ?? ''))?.[1],
        10_000,
      );
      const response = await fetch(`${url}/api/v1/inference`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-request-id': 'images-1',
        },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello there' }] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { output?: { content?: string } };
      expect(body.output?.content).toEqual(expect.any(String));
      const refused = await fetch(`${url}/api/v1/inference`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'images-2' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello there' }] }),
      });
      expect(refused.status).toBe(401);
    });
  });

  describe.skipIf(clusterOff)('the operator image', () => {
    let id: string | undefined;
    let namespace = '';
    let dir: string | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    const kc = new KubeConfig();

    beforeAll(async () => {
      kc.loadFromFile(inject('kubeconfig'));
      await installCrds(kc);
      const core = kc.makeApiClient(CoreV1Api);
      const created = await core.createNamespace({
        body: { metadata: { generateName: 'images-operator-' } },
      });
      namespace = created.metadata!.name!;
      const identity = await operatorIdentity(kc, inject('clusterDir'), created.metadata!.name!);
      cleanup = identity.cleanup;
      // The image's user reads the kubeconfig, as it reads a mounted ServiceAccount token.
      dir = await mkdtemp(join(tmpdir(), 'images-operator-'));
      const kubeconfig = join(dir, 'kubeconfig');
      await chmod(dir, 0o755);
      await copyFile(identity.kubeconfig, kubeconfig);
      await chmod(kubeconfig, 0o644);
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwks = JSON.stringify({
        keys: [{ ...(await exportJWK(publicKey)), kid: 'images', alg: 'ES256', use: 'sig' }],
      });
      const { images } = await report();
      id = await startContainer(images.operator.image, [
        '--volume',
        `${dir}:/etc/inference:ro`,
        '--env',
        'KUBECONFIG=/etc/inference/kubeconfig',
        '--env',
        `INFERENCE_WATCH_NAMESPACES=${namespace}`,
        '--env',
        `INFERENCE_LEASE_NAMESPACE=${namespace}`,
        '--env',
        `INFERENCE_AUTH_JWKS=${jwks}`,
        '--env',
        'INFERENCE_HEALTH_PORT=0',
        '--env',
        'INFERENCE_METRICS_PORT=0',
        '--env',
        'INFERENCE_BIND_ADDRESS=127.0.0.1',
      ]);
    }, 90_000);

    afterAll(async () => {
      if (id !== undefined) {
        await podman('rm', '--force', id);
      }
      await cleanup?.();
      if (namespace !== '') await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    // The samples `make e2e-samples` waits for in kind: neither needs a Secret, a model or an upstream.
    it.each([
      ['prompt-manifest.yaml', 'promptmanifests'],
      ['tenant-budget.yaml', 'tenantbudgets'],
    ])(
      'reconciles the sample %s to Ready at its generation',
      async (file, plural) => {
        const sample = parse(await readFile(join(repo, 'crds/samples', file), 'utf8')) as {
          metadata: { name: string };
        };
        const objects = kc.makeApiClient(CustomObjectsApi);
        const where = { group: GROUP, version: VERSION, namespace, plural };
        await objects.createNamespacedCustomObject({ ...where, body: sample });
        const ready = await eventually(async () => {
          const object = (await objects.getNamespacedCustomObject({
            ...where,
            name: sample.metadata.name,
          })) as {
            metadata: { generation: number };
            status?: {
              conditions?: { type: string; status: string; observedGeneration?: number }[];
            };
          };
          const condition = object.status?.conditions?.find((c) => c.type === 'Ready');
          return condition?.status === 'True' ? { object, condition } : undefined;
        }, 60_000).catch(async (error: unknown) => {
          throw new Error(`${String(error)}\noperator log:\n${await logsOf(id ?? '')}`);
        });
        expect(ready.condition.observedGeneration).toBe(ready.object.metadata.generation);
      },
      90_000,
    );
  });
});
