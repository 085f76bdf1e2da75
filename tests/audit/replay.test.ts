import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingChecksum } from '../../crds/pricing.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import {
  computeManifestChecksum,
  withChecksum,
} from '../../dataplane/src/prompts/checksum-edit.ts';
import type { ConfigDir } from '../support/config-dir.ts';
import { auditConfig, prices, receiptFor, routes } from './support.ts';
import { replay } from '../../scripts/audit-replay.ts';

let app: FastifyInstance;
let config: ConfigDir;

beforeAll(async () => {
  config = await auditConfig();
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

async function decisionConfig(checksum: string) {
  const response = await app.inject({
    url: `/api/v1/audit/configs/${checksum}`,
    headers: {
      authorization: `Bearer ${await config.token({ tenant: 'auditor' })}`,
      'x-request-id': 'config',
    },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ files: Record<string, string>; env: Record<string, string> }>();
}

/** The route, the prompt and the price all change; the config reloads. */
async function changeEverything(): Promise<void> {
  await config.write('routes.yaml', {
    routes: routes.routes.map((route) =>
      route.alias === 'chat'
        ? {
            alias: 'chat',
            targets: [{ name: 'other', provider: 'mock', model: 'fixed?text=changed' }],
          }
        : route,
    ),
  });
  const path = join(config.dir, 'prompts', 'summarize-v1.yaml');
  const edited = (await readFile(path, 'utf8'))
    .replace('version: 1.0.0', 'version: 1.1.0')
    .replace('You write faithful summaries.', 'You write short summaries.');
  await rm(path);
  await writeFile(
    join(config.dir, 'prompts', 'summarize-v2.yaml'),
    withChecksum(edited, computeManifestChecksum(edited, path)).replace(
      'name: summarize-v1',
      'name: summarize-v2',
    ),
  );
  const dearer = prices.map((price) => ({ ...price, output: '20' }));
  await config.write('pricing.yaml', { checksum: pricingChecksum(dearer), prices: dearer });
  await app.services.config.reload();
}

describe('replaying a receipt', () => {
  it('re-derives the original decision after the route, the prompt and the price all changed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'acme' })}`,
        'x-request-id': 'replayed-1',
      },
      payload: {
        model: 'chat',
        prompt: { id: 'summarize', variables: { text: 'the quarterly figures rose' } },
      },
    });
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'replayed-1');
    const before = app.services.snapshot().decision.checksum;
    await changeEverything();
    expect(app.services.snapshot().decision.checksum).not.toBe(before);
    expect(
      app.services
        .snapshot()
        .prompts.get('summarize')
        ?.map((spec) => spec.version),
    ).toEqual(['1.1.0']);

    const original = await decisionConfig(String(receipt['config']));
    expect(replay(receipt, original)).toMatchObject({
      ok: true,
      config: { checksum: receipt['config'], ok: true },
      route: {
        alias: 'chat',
        chain: [{ target: 'echo', provider: 'mock', model: 'echo' }],
        ok: true,
      },
      prompt: { id: 'summarize', version: '1.0.0', ok: true },
      cost: { cost_usd: receipt['cost_usd'], pricing: receipt['pricing'], ok: true },
    });

    // The current config would not have made this decision.
    const current = await decisionConfig(app.services.snapshot().decision.checksum);
    expect(replay(receipt, current)).toMatchObject({
      ok: false,
      config: { ok: false },
      route: { ok: false },
      prompt: { ok: false },
      cost: { ok: false },
    });
  });

  it('runs as node scripts/audit-replay.ts with the decision config the receipt names', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'acme' })}`,
        'x-request-id': 'replayed-2',
      },
      payload: { model: 'chat', messages: [{ role: 'user', content: 'hello there' }] },
    });
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'replayed-2');
    const receiptFile = join(config.dir, '..', `${config.dir.split('/').at(-1)}-receipt.json`);
    const configFile = `${receiptFile}.config.json`;
    await writeFile(receiptFile, JSON.stringify(receipt));
    await writeFile(configFile, JSON.stringify(await decisionConfig(String(receipt['config']))));
    try {
      const output = execFileSync(
        process.execPath,
        ['scripts/audit-replay.ts', receiptFile, '--config', configFile],
        { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' },
      );
      expect(JSON.parse(output)).toMatchObject({ ok: true, route: { alias: 'chat', ok: true } });
    } finally {
      await rm(receiptFile, { force: true });
      await rm(configFile, { force: true });
    }
  });
});
