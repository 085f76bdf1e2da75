import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../dataplane/src/app.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

/** A gateway listening on loopback with `chat` (the mock) and `gpt` (OpenAI's fake) routes. */
export interface SurfaceGateway {
  fake: FakeServer;
  config: ConfigDir;
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  base: string;
  stop(): Promise<void>;
}

export async function startSurfaceGateway(): Promise<SurfaceGateway> {
  const fake = await createOpenAIFake();
  const config = await makeConfigDir({
    gateway: { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'gpt',
          targets: [
            {
              name: 'gpt',
              provider: 'openai',
              model: 'gpt-fake',
              baseURL: `${fake.url}/v1`,
              credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
            },
          ],
          retry: { maxAttempts: 1 },
        },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-test');
  const app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    fake,
    config,
    app,
    base,
    async stop() {
      await app.close();
      await fake.stop();
      await config.cleanup();
    },
  };
}
