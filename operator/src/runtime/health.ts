/**
 * /healthz (the process runs), /readyz (caches are synced and the operator is not shutting
 * down) and /metrics (Prometheus). Health and metrics listen on their own ports, or share one.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Why the operator is not ready, or undefined when it is. */
  notReady(): string | undefined;
  registry: Registry;
}

export interface HealthServers {
  healthPort: number;
  metricsPort: number;
  close(): Promise<void>;
}

export async function startHealthServers(
  checks: HealthChecks,
  options: { healthPort: number; metricsPort: number; host: string },
): Promise<HealthServers> {
  const handle = (paths: 'health' | 'metrics' | 'both'): Server =>
    createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if ((paths === 'health' || paths === 'both') && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      if ((paths === 'health' || paths === 'both') && path === '/readyz') {
        const reason = checks.notReady();
        res
          .writeHead(reason === undefined ? 200 : 503, { 'content-type': 'text/plain' })
          .end(reason === undefined ? 'ok\n' : `${reason}\n`);
        return;
      }
      if ((paths === 'metrics' || paths === 'both') && path === '/metrics') {
        checks.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': checks.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  const listen = async (server: Server, port: number): Promise<number> => {
    server.listen(port, options.host);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  const shared = options.healthPort === options.metricsPort && options.healthPort !== 0;
  const servers: Server[] = [];
  let healthPort: number;
  let metricsPort: number;
  if (shared) {
    const server = handle('both');
    servers.push(server);
    healthPort = metricsPort = await listen(server, options.healthPort);
  } else {
    const health = handle('health');
    const metrics = handle('metrics');
    servers.push(health, metrics);
    healthPort = await listen(health, options.healthPort);
    metricsPort = await listen(metrics, options.metricsPort);
  }
  return {
    healthPort,
    metricsPort,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => {
                resolve();
              });
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
