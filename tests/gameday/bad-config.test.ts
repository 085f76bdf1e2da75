// Game day: a bad config pushed under a steady load (`make gameday`, docs/gameday.md). A real
// dataplane process on a contract directory and the run's Redis serves four clients in a loop;
// a routes.yaml that breaks the schema is written as an operator's render would write it. The
// gateway must refuse it and keep serving the old config (RTO: the longest gap between served
// answers after the push; RPO: answers lost, i.e. failed, and config lost), then take the fixed
// one. Skipped unless GAMEDAY=1: it is not part of `make test`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';
import { eventually } from '../support/eventually.ts';

const enabled = process.env['GAMEDAY'] === '1';

interface Answer {
  at: number;
  status: number;
}

describe.skipIf(!enabled)('game day: a bad config pushed under load', () => {
  let config: ConfigDir;
  let dataplane: DataplaneProcess;
  let started: { config?: ConfigDir; dataplane?: DataplaneProcess } = {};

  beforeAll(async () => {
    config = await makeConfigDir();
    started = { config };
    dataplane = await spawnDataplane(config.dir, inject('redisUrl'));
    started.dataplane = dataplane;
  });

  afterAll(async () => {
    const child = started.dataplane?.child;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await started.config?.cleanup();
  });

  const readyz = async () =>
    (await (await fetch(`${dataplane.url}/readyz`)).json()) as {
      config_checksum: string | null;
      config_error: string | null;
      routes: string[];
    };

  it('is refused, the old config serves every answer, and the fixed one is taken', async () => {
    const token = await config.token();
    const answers: Answer[] = [];
    let stop = false;
    let firstError = '';
    const client = async () => {
      while (!stop) {
        const response = await fetch(`${dataplane.url}/api/v1/inference`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-request-id': randomUUID(),
          },
          body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] }),
        }).catch(() => undefined);
        const text = (await response?.text()) ?? '';
        if (response?.status !== 200 && firstError === '') firstError = text.slice(0, 300);
        answers.push({ at: performance.now(), status: response?.status ?? 0 });
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = await readyz();

    const pushed = performance.now();
    await config.write('routes.yaml', { routes: [{ alias: 'chat' }] });
    const refused = await eventually(async () => {
      const r = await readyz();
      return r.config_error === null ? undefined : r;
    }, 15_000);
    const refusedMs = performance.now() - pushed;
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const fixed = performance.now();
    await config.write('routes.yaml', {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        { alias: 'chat-v2', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
      ],
    });
    const taken = await eventually(async () => {
      const r = await readyz();
      return r.config_checksum !== before.config_checksum && r.config_error === null
        ? r
        : undefined;
    }, 15_000);
    const takenMs = performance.now() - fixed;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await load;

    const after = answers.filter((a) => a.at >= pushed);
    const failed = after.filter((a) => a.status !== 200);
    let gap = 0;
    for (let i = 1; i < after.length; i++)
      gap = Math.max(gap, (after[i]?.at ?? 0) - (after[i - 1]?.at ?? 0));
    console.log(
      `gameday bad-config: ${after.length} answers after the push, ${failed.length} failed (RPO: 0 answers and no config lost when 0); ` +
        `longest gap between answers ${gap.toFixed(0)} ms (RTO: nothing stopped serving); refused in ${refusedMs.toFixed(0)} ms ` +
        `(${refused.config_error ?? ''}); the fixed config served in ${takenMs.toFixed(0)} ms`,
    );

    expect(firstError).toBe('');
    expect(refused.config_checksum).toBe(before.config_checksum);
    expect(failed).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
    expect(taken.routes).toEqual(['chat', 'chat-v2']);
  }, 60_000);
});
