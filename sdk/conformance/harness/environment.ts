/**
 * What every SDK runs its conformance scenarios against: two real dataplane processes
 * (`node dataplane/src/main.ts`) on one Redis and one contract directory, behind a recording
 * front proxy, with a fake OpenAI upstream for the 429s. A control server lets a runner in any
 * language prepare a scenario (its base URL and token), cut a stream by draining the replica
 * that serves it (SIGTERM), and have the wire checked.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pricingChecksum } from '../../../crds/pricing.ts';
import { waitFor } from '../../../tests/batch/support.ts';
import type { FakeServer } from '../../../tests/fakes/fake-server.ts';
import { createOpenAIFake, OPENAI_ERRORS } from '../../../tests/fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { spawnDataplane, type DataplaneProcess } from '../../../tests/support/dataplane-process.ts';
import { startFront, type Front } from './front.ts';
import { loadScenarios, type Scenario } from './scenarios.ts';
import { checkWire } from './wire.ts';

/** c01 … c30, one chunk each, 100 ms apart: still streaming when a slow runner cuts it after the fifth. */
const WORDS = Array.from({ length: 30 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
const NUMBERED = `fixed?text=${WORDS.join('+')}&gapMs=100`;

const routes = (upstreamUrl: string) => ({
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    { alias: 'numbered', targets: [{ name: 'numbered', provider: 'mock', model: NUMBERED }] },
    {
      alias: 'upstream',
      targets: [
        {
          name: 'gpt',
          provider: 'openai',
          model: 'gpt-fake',
          baseURL: `${upstreamUrl}/v1`,
          credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
        },
      ],
      retry: { maxAttempts: 1 },
    },
  ],
});

/** Tenant `broke` cannot afford one request of `chat`; the other tenants have no budget. */
const price = { provider: 'mock', model: 'echo', effectiveFrom: '2026-01-01T00:00:00Z' };
const prices = [{ ...price, input: '1', output: '2' }];
const budgets = { budgets: [{ tenant: 'broke', limits: { costUSD: '0.000001' } }] };

export interface Environment {
  /** The control server's URL, given to runners as ENIS_CONFORMANCE_URL. */
  controlUrl: string;
  stop(): Promise<void>;
}

export async function startEnvironment(redisUrl: string): Promise<Environment> {
  const upstream = await createOpenAIFake();
  const config = await makeConfigDir({
    routes: routes(upstream.url),
    prompts: false,
    // The output PII scan holds text back to whole sentences; the scenarios count raw chunks.
    gateway: {
      streams: { heartbeatMs: 60_000 },
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
    },
  });
  await config.write('credentials/openai__api-key', 'sk-conformance');
  await config.write('budgets.yaml', budgets);
  await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
  const startReplica = async () => {
    const replica = await spawnDataplane(config.dir, redisUrl);
    replicas.push(replica);
    await ready(replica);
    return replica;
  };
  const replicas: DataplaneProcess[] = [];
  const front = await startFront(
    (await Promise.all([startReplica(), startReplica()])).map((replica) => replica.url),
  );
  const parts: Parts = { config, upstream, front, replicas, startReplica, replacing: undefined };
  const control = await startControl(parts);
  return {
    controlUrl: control.url,
    stop: async () => {
      await control.close();
      await parts.replacing;
      await front.close();
      await Promise.all(replicas.map(stopReplica));
      await upstream.stop();
      await config.cleanup();
    },
  };
}

/** Waits for the replica's /readyz (its contract loaded), or fails with the reason it gives. */
async function ready(replica: DataplaneProcess): Promise<void> {
  let reason = '';
  await waitFor(
    `${replica.url} to be ready (${reason})`,
    async () => {
      const response = await fetch(`${replica.url}/readyz`);
      reason = await response.text();
      return response.ok ? true : undefined;
    },
    60_000,
  ).catch(() => {
    throw new Error(`The dataplane is not ready: ${reason}`);
  });
}

async function stopReplica(replica: DataplaneProcess): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = once(replica.child, 'exit');
  replica.child.kill('SIGTERM');
  await exited;
}

interface Parts {
  config: ConfigDir;
  upstream: FakeServer;
  front: Front;
  replicas: DataplaneProcess[];
  startReplica: () => Promise<DataplaneProcess>;
  /** The replica started in place of a drained one, until it is in rotation. */
  replacing: Promise<void> | undefined;
}

/** POST /scenarios/{name}/prepare | cut | check. */
async function startControl(parts: Parts) {
  const scenarios = new Map(loadScenarios().map((scenario) => [scenario.name, scenario]));
  const server = createServer((request, response) => {
    void handle(parts, scenarios, request).then(
      (body) => {
        reply(response, 200, body);
      },
      (error: unknown) => {
        reply(response, 500, { error: String(error) });
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function handle(
  parts: Parts,
  scenarios: Map<string, Scenario>,
  request: IncomingMessage,
): Promise<unknown> {
  const [, name = '', step = ''] =
    /^\/scenarios\/([a-z0-9-]+)\/([a-z]+)$/.exec(request.url ?? '') ?? [];
  const scenario = scenarios.get(name);
  if (request.method !== 'POST' || scenario === undefined) throw new Error('unknown scenario');
  switch (step) {
    case 'prepare':
      await parts.replacing;
      parts.front.records.length = 0;
      parts.upstream.reset();
      for (const answer of scenario.upstream ?? [])
        parts.upstream.script(
          '/v1/chat/completions',
          OPENAI_ERRORS.rateLimited({ 'retry-after': answer.retry_after }),
        );
      return {
        base_url: parts.front.url,
        token: await parts.config.token({ tenant: scenario.tenant }),
      };
    case 'cut':
      return { cut: drainFirstReplica(parts) };
    case 'check':
      return {
        problems: scenario.wire === undefined ? [] : checkWire(scenario.wire, parts.front.records),
      };
    default:
      throw new Error(`unknown step ${step}`);
  }
}

/**
 * Takes the serving replica out of rotation and sends it SIGTERM: it ends its open streams
 * with a `resume` event (`reason: "shutting_down"`) and lets their upstream calls finish into
 * Redis, where the other replica serves the resume. A new replica takes its place, so that the
 * next scenario finds two again.
 */
function drainFirstReplica(parts: Parts): string {
  const [served, next] = parts.front.backends;
  const replica = parts.replicas.find((candidate) => candidate.url === served);
  if (replica === undefined || next === undefined)
    throw new Error('no second replica to resume on');
  parts.front.backends.shift();
  replica.child.kill('SIGTERM');
  parts.replacing = parts.startReplica().then((started) => {
    parts.front.backends.push(started.url);
  });
  return served ?? '';
}
