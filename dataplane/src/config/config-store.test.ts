import { mkdir, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { ConfigStore } from './config-store.ts';

let config: ConfigDir;
let store: ConfigStore | undefined;

afterEach(async () => {
  store?.close();
  await config.cleanup();
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the config store', () => {
  it('loads a valid contract into a snapshot with routes, prompts and keys', async () => {
    config = await makeConfigDir();
    store = new ConfigStore([config.dir]);
    await store.reload();
    const snapshot = store.current!;
    expect([...snapshot.routes.keys()]).toEqual(['chat', 'fallback']);
    expect(snapshot.routes.get('fallback')?.targets.map((target) => target.name)).toEqual([
      'broken',
      'echo',
    ]);
    expect(snapshot.prompts.size).toBeGreaterThan(0);
    expect(snapshot.resumeKeys.active).toBe('r1');
    expect(snapshot.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store.status).toMatchObject({ lastError: undefined, reloads: { ok: 1, refused: 0 } });
  });

  it('refuses an invalid change, keeps serving the old snapshot and says why', async () => {
    config = await makeConfigDir();
    store = new ConfigStore([config.dir]);
    await store.reload();
    const served = store.current;
    await config.write('routes.yaml', { routes: [{ alias: 'x', targets: [] }] });
    await store.reload();
    expect(store.current).toBe(served);
    expect(store.status.lastError).toMatch(/^routes\.yaml: routes\.0\.targets/);
    expect(store.status.reloads.refused).toBe(1);
  });

  it('names the file of a corrupt YAML document', async () => {
    config = await makeConfigDir();
    await config.write('gateway.yaml', 'auth: [unclosed');
    store = new ConfigStore([config.dir]);
    await store.reload();
    expect(store.current).toBeUndefined();
    expect(store.status.lastError).toMatch(/^gateway\.yaml: not valid YAML/);
  });

  it('resolves credentials from the credentials folder and models from the environment', async () => {
    config = await makeConfigDir({
      gateway: { defaultModel: 'gpt' },
      routes: {
        routes: [
          {
            alias: 'gpt',
            targets: [
              {
                name: 'openai',
                provider: 'openai',
                modelFrom: { env: 'GPT_MODEL' },
                credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
              },
            ],
          },
        ],
      },
    });
    await config.write('credentials/openai__api-key', 'sk-test\n');
    store = new ConfigStore([config.dir], { GPT_MODEL: 'gpt-4o-mini' });
    await store.reload();
    expect(store.current?.routes.get('gpt')?.targets[0]).toMatchObject({
      model: 'gpt-4o-mini',
      apiKey: 'sk-test',
    });
  });

  it('refuses a route whose model variable is unset', async () => {
    config = await makeConfigDir({
      routes: {
        routes: [
          {
            alias: 'gpt',
            targets: [{ name: 'a', provider: 'openai', modelFrom: { env: 'NOPE' } }],
          },
        ],
      },
    });
    store = new ConfigStore([config.dir], {});
    await store.reload();
    expect(store.status.lastError).toMatch(/env NOPE, which is unset/);
  });

  it('lets a later directory override a file of an earlier one', async () => {
    config = await makeConfigDir();
    const overlay = await makeConfigDir({ gateway: { defaultModel: 'fallback' } });
    store = new ConfigStore([config.dir, overlay.dir]);
    await store.reload();
    expect(store.current?.gateway.defaultModel).toBe('fallback');
    await overlay.cleanup();
  });

  it('follows a kubelet-style ..data symlink swap while watching', async () => {
    config = await makeConfigDir();
    // Lay the routes file out as kubelet does: routes.yaml → ..data/routes.yaml → ..v1/routes.yaml.
    const write = async (version: string, alias: string) => {
      await mkdir(join(config.dir, version));
      const routes = ['chat', alias].map(
        (name) => `  - alias: ${name}\n    targets: [{name: a, provider: mock, model: echo}]\n`,
      );
      await writeFile(
        join(config.dir, version, 'routes.yaml'),
        `routes:\n${[...new Set(routes)].join('')}`,
      );
      await symlink(version, join(config.dir, '..data_tmp'));
      await rename(join(config.dir, '..data_tmp'), join(config.dir, '..data'));
    };
    await write('..v1', 'chat');
    await unlink(join(config.dir, 'routes.yaml'));
    await symlink('..data/routes.yaml', join(config.dir, 'routes.yaml'));
    store = new ConfigStore([config.dir]);
    await store.reload();
    expect([...store.current!.routes.keys()]).toEqual(['chat']);
    store.watch({ debounceMs: 10, pollMs: 200 });
    await write('..v2', 'added');
    await until(() => store?.current?.routes.has('added') === true);
    expect(store.status.reloads.ok).toBe(2);
  });
});
