/**
 * Targets of one priority sharing traffic, seen from the client: by weight, and by the client's
 * session key (`x-session-id`) under the Sticky balance.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

let config: ConfigDir;
let app: FastifyInstance;
let token: string;

const pool = (alias: string, balance: string, weights: [number, number]) => ({
  alias,
  balance,
  targets: [
    { name: 'a', provider: 'mock', model: 'fixed?text=A', priority: 0, weight: weights[0] },
    { name: 'b', provider: 'mock', model: 'fixed?text=B', priority: 0, weight: weights[1] },
  ],
});

beforeAll(async () => {
  config = await makeConfigDir({
    gateway: { defaultModel: 'weighted' },
    routes: { routes: [pool('weighted', 'Weighted', [1, 4]), pool('sticky', 'Sticky', [1, 1])] },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

async function answer(model: string, session?: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: {
      authorization: `Bearer ${token}`,
      ...(session === undefined ? {} : { 'x-session-id': session }),
    },
    payload: { model, messages: [{ role: 'user', content: 'which one?' }] },
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<{ choices: { message: { content: string } }[] }>();
  return body.choices[0]?.message.content ?? '';
}

describe('targets of one priority', () => {
  it('share requests by weight', async () => {
    const answers = [];
    for (let request = 0; request < 400; request++) answers.push(await answer('weighted'));
    const share = answers.filter((text) => text === 'B').length / answers.length;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.9);
  });

  it('keep a session on one target under Sticky, and spread sessions over both', async () => {
    const same = new Set<string>();
    for (let request = 0; request < 20; request++) same.add(await answer('sticky', 'session-42'));
    expect(same.size).toBe(1);
    const spread = new Set<string>();
    for (let session = 0; session < 40; session++)
      spread.add(await answer('sticky', `s-${session}`));
    expect(spread).toEqual(new Set(['A', 'B']));
  });
});
