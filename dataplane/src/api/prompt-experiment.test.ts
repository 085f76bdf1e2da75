/**
 * An A/B prompt experiment through the native API: two versions of one prompt, the newer one an
 * experiment for 30 % of the users. Each user (the token's subject) keeps their version, the
 * response says which version answered, and the metrics count requests by version.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSpec, manifestYaml } from '../../../crds/prompts/fixtures.ts';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { buildApp } from '../app.ts';

let config: ConfigDir;
let app: FastifyInstance;
let requests = 0;

beforeAll(async () => {
  config = await makeConfigDir({ prompts: false });
  await config.write('prompts/greet-1.0.0.yaml', manifestYaml(makeSpec({ version: '1.0.0' })));
  await config.write(
    'prompts/greet-1.1.0.yaml',
    manifestYaml(
      makeSpec({
        version: '1.1.0',
        slices: [{ name: 'user', role: 'user', text: 'Say hello to {{name}}.' }],
        experiment: { percent: 30 },
      }),
      'greet-v1-1',
    ),
  );
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

const greet = async (sub: string, version?: string) => {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/inference',
    headers: {
      authorization: `Bearer ${await config.token({ sub })}`,
      'x-request-id': `req-${String(++requests)}`,
    },
    payload: {
      model: 'chat',
      prompt: {
        id: 'greet',
        ...(version === undefined ? {} : { version }),
        variables: { name: 'Ada' },
      },
    },
  });
  expect(response.statusCode).toBe(200);
  return {
    version: String(response.headers['x-prompt-version']),
    content: response.json<{ output: { content: string } }>().output.content,
  };
};

describe('an A/B prompt experiment', () => {
  const subjects = Array.from({ length: 60 }, (_, i) => `user-${String(i)}`);
  const served = new Map<string, string>();

  it('serves each user one version, the experiment to some and the control to the rest', async () => {
    for (const sub of subjects) served.set(sub, (await greet(sub)).version);
    const inExperiment = subjects.filter((s) => served.get(s) === 'greet@1.1.0').length;
    const inControl = subjects.filter((s) => served.get(s) === 'greet@1.0.0').length;
    expect(inExperiment + inControl).toBe(subjects.length);
    // 30 % of 60 users, give or take three standard deviations.
    expect(inExperiment).toBeGreaterThan(6);
    expect(inExperiment).toBeLessThan(30);
    for (const sub of subjects.slice(0, 10))
      expect((await greet(sub)).version).toBe(served.get(sub));
  });

  it('renders the version it says: the experiment has its own text', async () => {
    const user = subjects.find((s) => served.get(s) === 'greet@1.1.0') ?? '';
    expect((await greet(user)).content).toBe('Echo: Say hello to Ada.');
    const other = subjects.find((s) => served.get(s) === 'greet@1.0.0') ?? '';
    expect((await greet(other)).content).toBe('Echo: Greet Ada.');
  });

  it('leaves a request that names a version out of it', async () => {
    const user = subjects.find((s) => served.get(s) === 'greet@1.1.0') ?? '';
    expect((await greet(user, '1.0.0')).version).toBe('greet@1.0.0');
  });

  it('counts requests by the version served', async () => {
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const count = (version: string) =>
      Number(
        new RegExp(
          `inference_prompt_requests_total\\{prompt="greet",version="${version}"\\} (\\d+)`,
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(count('1.1.0') + count('1.0.0')).toBe(subjects.length + 10 + 2 + 1);
    expect(count('1.1.0')).toBeGreaterThan(6);
  });
});
