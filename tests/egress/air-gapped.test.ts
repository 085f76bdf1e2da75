/**
 * Zero egress, proven in a network namespace (tests/egress/netns.ts): the real dataplane
 * (`node dataplane/src/main.ts`) runs in the gateway namespace, where an in-cluster name, an
 * external name and an outside address all resolve and answer (the positive control shows it).
 * Air-gapped, the guard refuses the external name before DNS ever sees it, the outside
 * address, and an in-cluster name that resolves outside; the outside host receives nothing;
 * the in-cluster service answers. Needs root and iproute2; skipped, with the reason in its
 * name, anywhere else. Every namespace and process it starts is removed by PID / name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../dataplane/src/core/error-codes.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { createTopology, GATEWAY_IP, netnsUnavailable, type Topology } from './netns.ts';

const REPO = join(import.meta.dirname, '../..');
const skip = netnsUnavailable();

type WorldEvent =
  | { event: 'ready' }
  | { event: 'dns'; name: string; type: number }
  | { event: 'http'; server: string; path: string }
  | { event: 'response'; id: number; status: number; body: string };

const target = (name: string, baseURL: string) => ({
  name,
  provider: 'openai-compatible',
  model: 'm',
  baseURL,
});
const ROUTES = {
  routes: [
    {
      alias: 'chat',
      targets: [target('cluster', 'http://model.inference.svc.cluster.local:8080/v1')],
    },
    // Three attempts allowed: a refused target is still tried once only.
    {
      alias: 'external',
      targets: [target('external', 'http://api.external.test/v1')],
      retry: { maxAttempts: 3 },
    },
    { alias: 'outside-ip', targets: [target('outside-ip', 'http://198.51.100.1/v1')] },
    { alias: 'rogue', targets: [target('rogue', 'http://rogue.inference.svc.cluster.local/v1')] },
    {
      alias: 'external-then-cluster',
      targets: [
        target('external', 'http://api.external.test/v1'),
        target('cluster', 'http://model.inference.svc.cluster.local:8080/v1'),
      ],
    },
  ],
};

let topology: Topology | undefined;
let world: ChildProcess | undefined;
const events: WorldEvent[] = [];
/** Every event since the world started; `events` is emptied before each request. */
const lifetime: WorldEvent[] = [];
let nextId = 1;

/** Kills a process this file started, by its PID, and waits for it to go. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** `command` run inside namespace `ns`: `ip netns exec` execs it, so the PID is its own. */
function inNamespace(ns: string, command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, ...command], {
    cwd: REPO,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** An HTTP request from the world namespace (the only one that reaches the gateway's). */
interface Answer {
  status: number;
  text: string;
  /** The body as JSON; undefined when it is not (metrics are text). */
  json: unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const id = nextId++;
  world!.stdin!.write(`${JSON.stringify({ id, url, init })}\n`);
  const answer = await eventually(
    async () => events.find((e) => e.event === 'response' && e.id === id),
    20_000,
  );
  const { status, body } = answer as Extract<WorldEvent, { event: 'response' }>;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, text: body, json };
}

interface Gateway {
  url: string;
  output: () => string;
  config: ConfigDir;
  child: ChildProcess;
}

async function startGateway(airGapped: boolean, port: number): Promise<Gateway> {
  const config = await makeConfigDir({
    gateway: { egress: { airGapped } },
    routes: ROUTES,
    prompts: false,
  });
  // A clean environment: no REDIS_URL (no Redis in the namespace), no OTLP collector.
  const child = inNamespace(topology!.gateway, [process.execPath, 'dataplane/src/main.ts'], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    CONFIG_DIR: config.dir,
    HOST: GATEWAY_IP,
    PORT: String(port),
    LOG_LEVEL: 'info',
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://${GATEWAY_IP}:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`The dataplane exited early:\n${output}`);
    return output.includes(`Server listening at ${url}`) ? true : undefined;
  }, 60_000);
  return { url, output: () => output, config, child };
}

/** A chat completion through `alias`, the world's events it caused, and the dataplane's logs. */
async function chat(gateway: Gateway, alias: string) {
  events.length = 0;
  const before = gateway.output().length;
  const answer = await call(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await gateway.config.token()}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'hello' }] }),
  });
  const seen = events.filter((e) => e.event === 'dns' || e.event === 'http');
  const refusals = gateway
    .output()
    .slice(before)
    .split('\n')
    .filter((line) => line.includes('"msg":"Refused egress"'))
    .map((line) => JSON.parse(line) as { host: string; reason: string });
  return {
    ...answer,
    content: (answer.json as { choices?: { message?: { content?: string } }[] } | undefined)
      ?.choices?.[0]?.message?.content,
    asked: [...new Set(seen.flatMap((e) => (e.event === 'dns' ? [e.name] : [])))],
    served: seen.flatMap((e) => (e.event === 'http' ? [e.server] : [])),
    refusals: refusals.map((r) => `${r.host} ${r.reason}`),
  };
}

describe.skipIf(skip !== undefined)(
  `the dataplane in a network namespace${skip === undefined ? '' : ` (skipped: ${skip})`}`,
  () => {
    beforeAll(async () => {
      topology = createTopology();
      world = inNamespace(topology.world, [process.execPath, 'tests/egress/world.ts'], {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      });
      let errors = '';
      world.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      createInterface({ input: world.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as WorldEvent;
        events.push(event);
        lifetime.push(event);
      });
      await eventually(async () => {
        if (world!.exitCode !== null) throw new Error(`The world exited:\n${errors}`);
        return events.some((e) => e.event === 'ready') ? true : undefined;
      }, 30_000);
    });

    afterAll(async () => {
      world?.stdin?.end();
      await stop(world);
      topology?.destroy();
    });

    describe('air-gapped', () => {
      let gateway: Gateway | undefined;
      let since = 0;
      beforeAll(async () => {
        since = lifetime.length;
        gateway = await startGateway(true, 8080);
      }, 90_000);
      afterAll(async () => {
        await stop(gateway?.child);
        await gateway?.config.cleanup();
      });

      it('reaches the in-cluster service by its cluster name', async () => {
        const answer = await chat(gateway!, 'chat');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
        expect(answer.asked).toEqual(['model.inference.svc.cluster.local']);
        expect(answer.served).toEqual(['cluster']);
      });

      it('refuses the external name before DNS sees it, once, and says why', async () => {
        const answer = await chat(gateway!, 'external');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({
          error: {
            code: 'UPSTREAM_UNAVAILABLE',
            details: { reason: 'egress_denied', host: 'api.external.test', policy: 'air-gapped' },
          },
        });
        expect(answer.asked).toEqual([]);
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual(['api.external.test not_in_cluster']);
      });

      it('refuses the outside address', async () => {
        const answer = await chat(gateway!, 'outside-ip');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({
          error: { details: { reason: 'egress_denied', host: '198.51.100.1' } },
        });
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual(['198.51.100.1 not_in_cluster']);
      });

      it('refuses an in-cluster name that resolves outside the cluster', async () => {
        const answer = await chat(gateway!, 'rogue');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({ error: { details: { reason: 'egress_denied' } } });
        expect(answer.asked).toEqual(['rogue.inference.svc.cluster.local']);
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual([
          'rogue.inference.svc.cluster.local resolves_outside_cluster',
        ]);
      });

      it('falls back from a refused target to an in-cluster one', async () => {
        const answer = await chat(gateway!, 'external-then-cluster');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
        expect(answer.served).toEqual(['cluster']);
      });

      it('counts the refusals by host and reason', async () => {
        const metrics = await call(`${gateway!.url}/metrics`);
        expect(metrics.text).toMatch(
          /inference_egress_denied_total\{host="api\.external\.test",reason="not_in_cluster"\} 2/,
        );
        expect(metrics.text).toMatch(
          /inference_egress_denied_total\{host="198\.51\.100\.1",reason="not_in_cluster"\} 1/,
        );
      });

      // No dependency phoned home around the tests' own requests (update checks, telemetry):
      // it would have been refused and logged, or been seen by the world's DNS or hosts.
      it('made no connection over its whole life but those the requests asked for', () => {
        const seen = lifetime.slice(since);
        const asked = new Set(seen.flatMap((e) => (e.event === 'dns' ? [e.name] : [])));
        expect([...asked].sort()).toEqual([
          'model.inference.svc.cluster.local',
          'rogue.inference.svc.cluster.local',
        ]);
        expect(seen.filter((e) => e.event === 'http' && e.server === 'outside')).toEqual([]);
        const refused = gateway!
          .output()
          .split('\n')
          .filter((line) => line.includes('"msg":"Refused egress"'));
        expect(refused).toHaveLength(4);
      });
    });

    describe('not air-gapped (the positive control)', () => {
      let gateway: Gateway | undefined;
      beforeAll(async () => {
        gateway = await startGateway(false, 8081);
      }, 90_000);
      afterAll(async () => {
        await stop(gateway?.child);
        await gateway?.config.cleanup();
      });

      it('reaches the in-cluster service', async () => {
        const answer = await chat(gateway!, 'chat');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
      });

      it('reaches the external name its route names, through DNS', async () => {
        const answer = await chat(gateway!, 'external');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('outside: hello');
        expect(answer.asked).toEqual(['api.external.test']);
        expect(answer.served).toEqual(['outside']);
        expect(answer.refusals).toEqual([]);
      });

      it('reaches the outside address its route names', async () => {
        const answer = await chat(gateway!, 'outside-ip');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('outside: hello');
      });
    });
  },
);
