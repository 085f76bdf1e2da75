/**
 * The processes of the namespace test (tests/egress/air-gapped.test.ts): the world
 * (tests/egress/world.ts) in the world namespace, the real dataplane (`node
 * dataplane/src/main.ts`) in the gateway namespace, and requests to it sent from the world (the
 * only namespace that reaches the gateway's). Each is stopped by its PID: `ip netns exec` execs
 * the command, so the PID is the command's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { GATEWAY_IP, type Topology } from './netns.ts';

const REPO = join(import.meta.dirname, '../..');

export type WorldEvent =
  | { event: 'ready' }
  | { event: 'dns'; name: string; type: number }
  | { event: 'http'; server: string; path: string }
  | { event: 'response'; id: number; status: number; body: string };

export interface Answer {
  status: number;
  text: string;
  /** The body as JSON; undefined when it is not (metrics are text). */
  json: unknown;
}

export interface World {
  /** Events since the last `chat` (it empties the list). */
  events: WorldEvent[];
  /** Every event since the world started. */
  lifetime: WorldEvent[];
  /** An HTTP request sent from the world namespace. */
  call(url: string, init?: RequestInit): Promise<Answer>;
  stop(): Promise<void>;
}

export interface Gateway {
  url: string;
  output: () => string;
  config: ConfigDir;
  stop(): Promise<void>;
}

/** Kills a process this test started, by its PID, and waits for it to go. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function inNamespace(ns: string, command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, ...command], {
    cwd: REPO,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export async function startWorld(topology: Topology): Promise<World> {
  const child = inNamespace(topology.world, [process.execPath, 'tests/egress/world.ts'], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  });
  const events: WorldEvent[] = [];
  const lifetime: WorldEvent[] = [];
  let nextId = 1;
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const event = JSON.parse(line) as WorldEvent;
    events.push(event);
    lifetime.push(event);
  });
  const world: World = {
    events,
    lifetime,
    async call(url, init = {}) {
      const id = nextId++;
      child.stdin!.write(`${JSON.stringify({ id, url, init })}\n`);
      const answer = await eventually(
        async () => lifetime.find((e) => e.event === 'response' && e.id === id),
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
    },
    async stop() {
      child.stdin?.end();
      await stop(child);
    },
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`The world exited:\n${errors}`);
      return events.some((e) => e.event === 'ready') ? true : undefined;
    }, 30_000);
  } catch (error) {
    await world.stop();
    throw error;
  }
  return world;
}

export async function startGateway(
  topology: Topology,
  options: { airGapped: boolean; port: number; routes: object },
): Promise<Gateway> {
  const config = await makeConfigDir({
    gateway: { egress: { airGapped: options.airGapped } },
    routes: options.routes,
    prompts: false,
  });
  // A clean environment: no REDIS_URL (no Redis in the namespace), no OTLP collector.
  const child = inNamespace(topology.gateway, [process.execPath, 'dataplane/src/main.ts'], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    CONFIG_DIR: config.dir,
    HOST: GATEWAY_IP,
    PORT: String(options.port),
    LOG_LEVEL: 'info',
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://${GATEWAY_IP}:${options.port}`;
  const gateway: Gateway = {
    url,
    output: () => output,
    config,
    async stop() {
      await stop(child);
      await config.cleanup();
    },
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`The dataplane exited early:\n${output}`);
      return output.includes(`Server listening at ${url}`) ? true : undefined;
    }, 60_000);
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return gateway;
}

/** A chat completion through `alias`, the world's events it caused, and the dataplane's logs. */
export async function chat(world: World, gateway: Gateway, alias: string) {
  world.events.length = 0;
  const before = gateway.output().length;
  const answer = await world.call(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await gateway.config.token()}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'hello' }] }),
  });
  const seen = world.events.filter((e) => e.event === 'dns' || e.event === 'http');
  return {
    ...answer,
    content: (answer.json as { choices?: { message?: { content?: string } }[] } | undefined)
      ?.choices?.[0]?.message?.content,
    asked: [...new Set(seen.flatMap((e) => (e.event === 'dns' ? [e.name] : [])))],
    served: seen.flatMap((e) => (e.event === 'http' ? [e.server] : [])),
    refusals: refusals(gateway.output().slice(before)),
  };
}

/** The guard's `Refused egress` log lines in `output`, as `host reason`. */
export function refusals(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"msg":"Refused egress"'))
    .map((line) => JSON.parse(line) as { host: string; reason: string })
    .map((r) => `${r.host} ${r.reason}`);
}
