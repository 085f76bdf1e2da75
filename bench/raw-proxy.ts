/**
 * The practical ceiling for a Node gateway: a bare fastify server that passes `POST /v1/*`
 * through to the upstream with an undici pool, streaming the answer back as it arrives (SSE
 * included). No parsing of the body, no auth, no logging.
 *
 *   UPSTREAM=http://127.0.0.1:<port> node bench/raw-proxy.ts [--port=0]
 *   prints `READY <port>` when it listens on 127.0.0.1
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = process.env['UPSTREAM'];
if (upstream === undefined) throw new Error('UPSTREAM is required');

const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
  done(null, body);
});

app.post('/v1/*', async (request, reply) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = request.headers.authorization;
  if (authorization !== undefined) headers['authorization'] = authorization;
  const response = await pool.request({
    path: request.url,
    method: 'POST',
    headers,
    body: request.body as Buffer,
  });
  const type = response.headers['content-type'];
  reply.code(response.statusCode);
  if (typeof type === 'string') reply.header('content-type', type);
  return reply.send(response.body);
});

const flag = process.argv.find((arg) => arg.startsWith('--port='));
await app.listen({ port: Number(flag?.slice('--port='.length) ?? 0), host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no address');
console.log(`READY ${address.port}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([app.close(), pool.close()]).then(() => process.exit(0));
  });
}
