// The config contract live: `kubectl apply` of the samples reaches the dataplane through the
// operator's ConfigMaps and Secrets, projected as kubelet mounts them; an invalid prompt stops
// at the operator's status; a corrupt file in the directory is refused by the dataplane, which
// keeps serving; deleting a route makes its alias 404.
import { lstat, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { promptChecksum } from '../../crds/checksum.ts';
import type { PromptManifestSpec } from '../../crds/prompt-manifest.ts';
import { readSse } from '../support/sse.ts';
import {
  CHECKSUM_ANNOTATION,
  CONTRACT,
  eventually,
  resource,
  startLoop,
  type Loop,
} from './loop.ts';
import { condition, getResource, waitForCondition } from './resources.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';
const SAMPLES = fileURLToPath(new URL('../../crds/samples/', import.meta.url));

let loop: Loop;
let token: string;

const infer = async (body: object): Promise<{ status: number; json: Record<string, unknown> }> => {
  const response = await loop.post('/api/v1/inference', body, token);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};
const content = (json: Record<string, unknown>): string =>
  (json['output'] as { content?: string } | undefined)?.content ?? '';
const errorCode = (json: Record<string, unknown>): string =>
  (json['error'] as { code?: string } | undefined)?.code ?? '';

/** What the API server holds: the checksum annotation of the rendered `inference-config`. */
async function renderedChecksum(): Promise<string | undefined> {
  const config = await loop.core.readNamespacedConfigMap({
    namespace: loop.namespace,
    name: CONTRACT.config,
  });
  return config.metadata?.annotations?.[CHECKSUM_ANNOTATION];
}

/** Resolves once the dataplane serves the checksum the API server holds. */
async function servedAsRendered(timeoutMs = 20_000): Promise<string> {
  return eventually(async () => {
    const [rendered, ready] = await Promise.all([renderedChecksum(), loop.readyz()]);
    return rendered !== undefined && ready.config_checksum === rendered ? rendered : undefined;
  }, timeoutMs);
}

const triage = { id: 'support-triage', variables: { product: 'Widget', message: 'refund please' } };

describe.skipIf(clusterOff)('the samples, applied with kubectl', () => {
  beforeAll(async () => {
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      redisUrl: inject('redisUrl'),
      prefix: 'e2e-samples',
    });
    token = await loop.token();
  }, 60_000);

  afterAll(async () => {
    await loop.stop();
  });

  it('leave the dataplane not ready while nothing is rendered', async () => {
    const ready = await loop.readyz();
    expect(ready.status).toBe(503);
    expect(ready.config_error).toMatch(/gateway\.yaml: the file is missing/);
  });

  it('are served: their route, their prompt and the credential the route references', async () => {
    await loop.kubectl([
      'create',
      'secret',
      'generic',
      'openai-credentials',
      '--from-literal=api-key=sk-e2e-openai',
    ]);
    await loop.kubectl(['apply', '-f', SAMPLES]);
    const checksum = await servedAsRendered(30_000);

    // What the directory holds: kubelet's layout, the contract's files.
    expect(await readlink(join(loop.root, 'routes.yaml'))).toBe('..data/routes.yaml');
    expect((await lstat(join(loop.root, 'prompts', '..data'))).isSymbolicLink()).toBe(true);
    expect((await readdir(join(loop.root, 'prompts'))).filter((f) => !f.startsWith('..'))).toEqual([
      'support-triage.yaml',
    ]);
    expect(
      await readFile(join(loop.root, 'credentials', 'openai-credentials__api-key'), 'utf8'),
    ).toBe('sk-e2e-openai');

    // What the dataplane reports and what the operator's status says it rendered.
    const ready = await loop.readyz();
    expect(ready).toMatchObject({ status: 200, config_error: null, routes: ['chat'] });
    expect(ready.prompts_loaded).toBe(1);
    const route = await waitForCondition(loop, 'ProviderRoute', 'chat', 'Ready', 'True');
    expect(route.status?.['renderedConfigChecksum']).toBe(checksum);

    // What clients receive.
    const chat = await infer({ model: 'chat', messages: [{ role: 'user', content: 'hello e2e' }] });
    expect(chat.status).toBe(200);
    expect(content(chat.json)).toBe('Echo: hello e2e');
    const prompted = await infer({ prompt: triage });
    expect(prompted.status).toBe(200);
    expect(content(prompted.json)).toBe(
      'Echo: Classify this message as billing, bug or other, then draft a reply: refund please',
    );
    const stream = await loop.post(
      '/api/v1/inference:stream',
      { model: 'chat', messages: [{ role: 'user', content: 'one two three' }] },
      token,
    );
    expect(stream.status).toBe(200);
    const events: string[] = [];
    for await (const event of readSse(stream.body!)) events.push(event.event);
    expect(events.filter((e) => e === 'data')).toHaveLength(4);
    expect(events.at(-1)).toBe('done');
  });

  it('refuses a prompt whose checksum does not match at the operator: it never reaches the directory', async () => {
    const before = await loop.core.readNamespacedConfigMap({
      namespace: loop.namespace,
      name: CONTRACT.prompts,
    });
    const servedBefore = (await loop.readyz()).config_checksum;
    const writesBefore = loop.projection.history().length;
    const good = (await getResource(loop, 'PromptManifest', 'support-triage')).spec;
    const next = {
      ...(good as unknown as PromptManifestSpec),
      version: '1.3.0',
      description: 'A newer version whose checksum was not recomputed.',
    };
    // The old checksum, not promptChecksum(next): the API server cannot tell, the operator can.
    expect(promptChecksum(next)).not.toBe(next.checksum);
    await loop.apply([resource('PromptManifest', 'support-triage-next', next)]);

    const refused = await waitForCondition(
      loop,
      'PromptManifest',
      'support-triage-next',
      'Valid',
      'False',
      'ChecksumMismatch',
    );
    expect(condition(refused, 'Valid')?.message).toContain(promptChecksum(next));
    expect(condition(refused, 'Ready')?.status).toBe('False');
    await loop.operator().idle();
    const after = await loop.core.readNamespacedConfigMap({
      namespace: loop.namespace,
      name: CONTRACT.prompts,
    });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(Object.keys(after.data ?? {})).toEqual(['support-triage.yaml']);
    expect(loop.projection.history()).toHaveLength(writesBefore);
    expect((await readdir(join(loop.root, 'prompts'))).filter((f) => !f.startsWith('..'))).toEqual([
      'support-triage.yaml',
    ]);
    expect((await loop.readyz()).config_checksum).toBe(servedBefore);
    const pinned = await infer({ prompt: { ...triage, version: '1.3.0' } });
    expect(pinned.status).toBe(404);
    expect(errorCode(pinned.json)).toBe('PROMPT_NOT_FOUND');
    expect((await infer({ prompt: triage })).status).toBe(200);
  });

  it('refuses a corrupt file written straight into the directory and keeps serving the old snapshot', async () => {
    const served = (await loop.readyz()).config_checksum;
    const corrupt = join(loop.root, 'prompts', 'corrupt.yaml');
    await writeFile(corrupt, 'spec: [this is not closed\n');
    try {
      const refused = await eventually(async () => {
        const ready = await loop.readyz();
        return ready.config_error === null ? undefined : ready;
      }, 10_000);
      expect(refused.config_error).toContain('prompts/corrupt.yaml');
      expect(refused.config_checksum).toBe(served);
      expect(refused.status).toBe(200);
      const chat = await infer({ model: 'chat', messages: [{ role: 'user', content: 'still' }] });
      expect(chat.status).toBe(200);
      expect(content(chat.json)).toBe('Echo: still');
    } finally {
      await rm(corrupt, { force: true });
    }
    // Once the file is gone the same snapshot is read again and the error clears.
    const healed = await eventually(async () => {
      const ready = await loop.readyz();
      return ready.config_error === null ? ready : undefined;
    }, 10_000);
    expect(healed.config_checksum).toBe(served);
  });

  it('stop serving a route once it is deleted: its alias is 404 MODEL_NOT_FOUND', async () => {
    await loop.kubectl(['delete', 'providerroute', 'chat']);
    await eventually(async () => {
      const ready = await loop.readyz();
      return ready.routes.includes('chat') ? undefined : true;
    });
    await servedAsRendered();
    const config = await loop.core.readNamespacedConfigMap({
      namespace: loop.namespace,
      name: CONTRACT.config,
    });
    expect(config.data?.['routes.yaml']).toBe('routes: []\n');
    const gone = await infer({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] });
    expect(gone.status).toBe(404);
    expect(errorCode(gone.json)).toBe('MODEL_NOT_FOUND');
    // The prompt that defaults to the alias is still loaded, and fails the same way.
    expect((await loop.readyz()).prompts_loaded).toBe(1);
    const prompted = await infer({ prompt: triage });
    expect(prompted.status).toBe(404);
    expect(errorCode(prompted.json)).toBe('MODEL_NOT_FOUND');
  });
});
