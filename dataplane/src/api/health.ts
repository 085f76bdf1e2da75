import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';

export interface ReadinessReport {
  ready: boolean;
  /** What is loaded (config checksum, prompts, stores); never secrets. */
  details: Record<string, unknown>;
}

export interface HealthOptions {
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
}

const Status = Type.Object({ status: Type.String() }, { additionalProperties: true });

/** `/healthz` and `/livez` say the process runs; `/readyz` says whether it can serve. */
export const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const alive = { schema: { response: { 200: Status } } };
  app.get('/healthz', alive, () => ({ status: 'ok' }));
  app.get('/livez', alive, () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      const report = await options.readiness();
      return reply
        .code(report.ready ? 200 : 503)
        .send({ status: report.ready ? 'ready' : 'not_ready', ...report.details });
    },
  );
};
