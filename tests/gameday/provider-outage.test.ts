// Game day: a provider outage under a steady load (`make gameday`, docs/gameday.md). A real
// dataplane process serves route `chat` from an OpenAI-compatible fake (tests/fakes) with the
// mock provider as its fallback; four clients post in a loop, and the fake is stopped (its port
// then refuses connections). RTO: from the outage to the first answer the fallback served; RPO:
// the answers that failed. Skipped unless GAMEDAY=1: it is not part of `make test`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../support/dataplane-process.ts';

const enabled = process.env['GAMEDAY'] === '1';

interface Answer {
  at: number;
  status: number;
  primary: boolean;
}

describe.skipIf(!enabled)('game day: a provider outage under load', () => {
  let config: ConfigDir;
  let dataplane: DataplaneProcess;
  let provider: FakeServer;
  let started: { config?: ConfigDir; dataplane?: DataplaneProcess; provider?: FakeServer } = {};

  beforeAll(async () => {
    provider = await createOpenAIFake();
    started = { provider };
    config = await makeConfigDir({
      routes: {
        routes: [
          {
            alias: 'chat',
            targets: [
              {
                name: 'primary',
                provider: 'openai',
                model: 'gpt-fake',
                baseURL: `${provider.url}/v1`,
                credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
              },
              { name: 'fallback', provider: 'mock', model: 'echo' },
            ],
            retry: { maxAttempts: 1 },
          },
        ],
      },
    });
    started.config = config;
    await config.write('credentials/openai__api-key', 'sk-gameday');
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
    await started.provider?.stop().catch(() => undefined);
    await started.config?.cleanup();
  });

  it('falls back to the next target: answers go on, none lost', async () => {
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
        answers.push({
          at: performance.now(),
          status: response?.status ?? 0,
          primary: text.includes('openai:'),
        });
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const outage = performance.now();
    await provider.stop();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    stop = true;
    await load;

    const beforeOutage = answers.filter((a) => a.at < outage);
    const after = answers.filter((a) => a.at >= outage);
    const failed = after.filter((a) => a.status !== 200);
    const firstFallback = after.find((a) => a.status === 200 && !a.primary);
    const rto = firstFallback === undefined ? Infinity : firstFallback.at - outage;
    console.log(
      `gameday provider-outage: ${beforeOutage.filter((a) => a.primary).length}/${beforeOutage.length} answers from the primary before the outage; ` +
        `${after.length} after it, ${failed.length} failed (RPO), ${after.filter((a) => a.status === 200 && !a.primary).length} served by the fallback; ` +
        `RTO (outage to the first fallback answer) ${rto.toFixed(0)} ms`,
    );

    expect(firstError).toBe('');
    expect(beforeOutage.some((a) => a.primary)).toBe(true);
    expect(failed).toEqual([]);
    expect(firstFallback).toBeDefined();
  }, 60_000);
});
