import { request as httpsRequest, type Agent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { writeVolume } from '../support/kubelet-volume.ts';
import { createCa, issue, type Issued } from '../support/x509.ts';

/** A dataplane serving HTTPS from a config contract with its own CA, as a test builds it. */
export interface TlsDataplane {
  app: FastifyInstance;
  port: number;
  config: ConfigDir;
  ca: Issued;
  /** The serving certificate the test last installed (tests that rotate it update it). */
  serving: Issued;
  /** Writes `tls/` the way kubelet swaps a Secret volume: all three files at once. */
  writeTls(files: { cert: string; key: string; ca: string }): Promise<void>;
  close(): Promise<void>;
}

export const SERVER_NAME = 'gateway.inference.svc';

export async function startTlsDataplane(tls: object, routes?: object): Promise<TlsDataplane> {
  const ca = createCa('inference-test-ca');
  const serving = issue(ca, { commonName: 'gateway', dns: [SERVER_NAME], usages: ['serverAuth'] });
  const config = await makeConfigDir({
    gateway: { tls: { enabled: true, ...tls }, streams: { heartbeatMs: 60_000 } },
    ...(routes === undefined ? {} : { routes }),
    prompts: false,
  });
  const writeTls = async (files: { cert: string; key: string; ca: string }) => {
    await writeVolume(join(config.dir, 'tls'), {
      'tls.crt': files.cert,
      'tls.key': files.key,
      'ca.crt': files.ca,
    });
  };
  await writeTls({ cert: serving.cert, key: serving.key, ca: ca.cert });
  const app = await buildApp({ configDirs: [config.dir], defaultMetrics: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    app,
    port,
    config,
    ca,
    serving,
    writeTls,
    close: async () => {
      await app.close();
      await config.cleanup();
    },
  };
}

/** A client of the test: the CA it trusts, and its certificate if it has one. */
export interface Client {
  trust: string;
  /** The name the server's certificate must carry. @default SERVER_NAME */
  servername?: string;
  cert?: { cert: string; key: string };
  agent?: Agent;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The serial of the certificate the server presented, and its issuer's CN. */
  serverSerial: string;
  serverIssuer: string;
  reusedSocket: boolean;
}

/** One HTTPS request to the dataplane; a fresh connection unless the client has an agent. */
export function call(
  port: number,
  client: Client,
  options: { method?: string; path: string; token?: string; body?: unknown },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: client.servername ?? SERVER_NAME,
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        path: options.path,
        ca: client.trust,
        ...(client.cert === undefined ? {} : { cert: client.cert.cert, key: client.cert.key }),
        agent: client.agent ?? false,
        headers: {
          'x-request-id': `tls-${Math.random().toString(36).slice(2)}`,
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        // Read now: with a keep-alive agent the socket leaves the response at its end.
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const serverSerial = peer.serialNumber;
        const serverIssuer = String(peer.issuer.CN);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
            serverSerial,
            serverIssuer,
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

export const chat = { messages: [{ role: 'user', content: 'hello there' }] };

/** `details.reason` of an error answer. */
export function reason(answer: Answer): unknown {
  const error = answer.body['error'] as { details?: Record<string, unknown> } | undefined;
  return error?.details?.['reason'];
}

export function code(answer: Answer): unknown {
  return (answer.body['error'] as { code?: string } | undefined)?.code;
}
