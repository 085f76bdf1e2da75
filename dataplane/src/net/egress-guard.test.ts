// The guard in front of every socket opener the dataplane's dependencies use, on loopback only:
// refused hosts are an IP literal of TEST-NET-1 and a name under `.invalid`, neither of which
// reaches DNS or the network (the guard refuses them before any lookup or connect).
import dns from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressDeniedError } from './egress-denied.ts';
import { findEgressDenial } from './egress-denied.ts';
import { installEgressGuard, type EgressGuard } from './egress-guard.ts';
import { buildPolicy, type EgressPolicy } from './egress-policy.ts';

const policy: EgressPolicy = buildPolicy({
  airGapped: true,
  hosts: [],
  infrastructure: [],
  clusterCidrs: ['10.0.0.0/8'],
});
const denials: EgressDeniedError[] = [];
let guard: EgressGuard;
let server: http.Server;
let url: string;

beforeAll(async () => {
  guard = installEgressGuard({ policy: () => policy, onDenied: (d) => denials.push(d) });
  server = http.createServer((_request, response) => response.end('inside'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
});

afterAll(() => {
  guard.uninstall();
  server.close();
});

/** The refusal along the error a call failed with, or 'connected' when it did not fail. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  denials.length = 0;
  try {
    await call();
    return 'connected';
  } catch (error) {
    const denial = findEgressDenial(error);
    if (denial === undefined) throw error;
    expect(denials.map((d) => d.host)).toEqual([denial.host]);
    return `${denial.host} ${denial.reason}`;
  }
}

const socketError = (socket: net.Socket) =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
  });

const get = (module: typeof http | typeof https, target: string) =>
  new Promise((resolve, reject) => {
    module.get(target, resolve).once('error', reject);
  });

const exportSpans = (url: string) =>
  new Promise<void>((resolve, reject) => {
    new OTLPTraceExporter({ url, timeoutMillis: 2000 }).export([], (result) => {
      if (result.error === undefined) resolve();
      else reject(result.error);
    });
  });

describe('the egress guard', () => {
  it('lets loopback through: the pod itself', async () => {
    expect(await outcome(async () => (await fetch(url)).text())).toBe('connected');
  });

  it.each<[string, () => Promise<unknown>]>([
    ['global fetch (the SDKs)', () => fetch('http://192.0.2.1/v1/models')],
    ['global fetch, https', () => fetch('https://192.0.2.1/v1/models')],
    ['an undici Pool', () => new Pool('http://192.0.2.1').request({ method: 'GET', path: '/' })],
    ['node:http', () => get(http, 'http://192.0.2.1/')],
    ['node:https', () => get(https, 'https://192.0.2.1/')],
    ['net.connect', () => socketError(net.connect(80, '192.0.2.1'))],
    ['tls.connect', () => socketError(tls.connect({ host: '192.0.2.1', port: 443 }))],
    ['the OTLP trace exporter', () => exportSpans('http://192.0.2.1:4318/v1/traces')],
  ])('refuses an outside address through %s', async (_stack, call) => {
    expect(await outcome(call)).toBe('192.0.2.1 not_in_cluster');
  });

  it('refuses an outside name before any lookup, through every path to DNS', async () => {
    const name = 'api.denied.invalid';
    const lookup = () =>
      new Promise<void>((resolve, reject) => {
        dns.lookup(name, (error) => {
          if (error === null) resolve();
          else reject(error);
        });
      });
    expect(await outcome(() => fetch(`http://${name}/`))).toBe(`${name} not_in_cluster`);
    expect(await outcome(() => get(http, `http://${name}/`))).toBe(`${name} not_in_cluster`);
    expect(await outcome(() => dns.promises.lookup(name))).toBe(`${name} not_in_cluster`);
    expect(await outcome(lookup)).toBe(`${name} not_in_cluster`);
  });

  it('refuses an in-cluster name that resolves outside the cluster', async () => {
    const outside = (_host: string, _options: unknown, done: (...args: unknown[]) => void) => {
      done(null, [{ address: '192.0.2.1', family: 4 }]);
    };
    const connect = () =>
      net.connect({ host: 'rogue.team.svc', port: 80, lookup: outside as never });
    expect(await outcome(() => socketError(connect()))).toBe(
      'rogue.team.svc resolves_outside_cluster',
    );
  });

  it('puts ioredis through it too', async () => {
    const refused = await outcome(async () => {
      const redis = new Redis({ host: '192.0.2.2', lazyConnect: true, retryStrategy: () => null });
      // ioredis rejects connect() with its own "Connection is closed"; the socket's error is
      // the one its error event carries.
      const failed = once(redis, 'error');
      redis.connect().catch(() => undefined);
      try {
        const [error] = (await failed) as [Error];
        throw error;
      } finally {
        redis.disconnect();
      }
    });
    expect(refused).toBe('192.0.2.2 not_in_cluster');
  });

  it('leaves Unix sockets alone and refuses a second install', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-'));
    const local = net.createServer((socket) => socket.end()).listen(join(dir, 'sock'));
    await once(local, 'listening');
    try {
      expect(await outcome(() => socketError(net.connect(join(dir, 'sock'))))).toBe('connected');
    } finally {
      local.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => installEgressGuard({ policy: () => policy, onDenied: () => undefined })).toThrow(
      /already installed/,
    );
  });
});
