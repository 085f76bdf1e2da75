// The generated Postman collection (sdk/postman.ts) against the API it is generated from, and
// one of its requests, as Postman would send it, against a real gateway.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../../tests/support/config-dir.ts';

interface Header {
  key: string;
  value: string;
}
interface Request {
  method: string;
  url: { host: string[]; path: string[] };
  header?: Header[];
}
interface Item {
  name: string;
  item?: Item[];
  request?: Request;
}

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const collection = JSON.parse(read('sdk/postman/inference-service.postman_collection.json')) as {
  item: Item[];
  auth: unknown;
};
const environment = JSON.parse(read('sdk/postman/make-run.postman_environment.json')) as {
  values: { key: string; value: string }[];
};
const document = parse(read('docs/openapi.yaml')) as {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
};

const requests = (items: Item[]): Request[] =>
  items.flatMap((item) => (item.item ? requests(item.item) : item.request ? [item.request] : []));
const key = (request: Request) => `${request.method} /${request.url.path.join('/')}`;
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    key: `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`,
    requestId: (operation.parameters ?? []).some(
      (parameter) => parameter.in === 'header' && parameter.name === 'x-request-id',
    ),
  })),
);

describe('the Postman collection', () => {
  it('has one request for each operation of docs/openapi.yaml', () => {
    expect(requests(collection.item).map(key).sort()).toEqual(
      operations.map((op) => op.key).sort(),
    );
  });

  it('sends a fresh {{$guid}} as x-request-id wherever the API takes one', () => {
    const byKey = new Map(requests(collection.item).map((request) => [key(request), request]));
    for (const operation of operations.filter((op) => op.requestId)) {
      const header = byKey.get(operation.key)?.header?.find((h) => h.key === 'x-request-id');
      expect(header?.value, operation.key).toBe('{{$guid}}');
    }
  });

  it('authenticates every request with the environment bearer token, at make run address', () => {
    expect(collection.auth).toEqual({
      type: 'bearer',
      bearer: [{ type: 'any', value: '{{bearerToken}}', key: 'token' }],
    });
    expect(environment.values.map((value) => [value.key, value.value])).toEqual([
      ['baseUrl', 'http://127.0.0.1:8080'],
      ['bearerToken', ''],
    ]);
  });
});

describe('a request of the collection', () => {
  let config: ConfigDir;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    config = await makeConfigDir({ prompts: false });
    app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
    await config.cleanup();
  });

  it('is answered by the gateway once its variables are filled in', async () => {
    const inference = requests(collection.item).find(
      (request) => key(request) === 'POST /api/v1/inference',
    );
    const fill = (text: string) =>
      text.replace('{{baseUrl}}', base).replace('{{$guid}}', crypto.randomUUID());
    const headers = Object.fromEntries(
      (inference?.header ?? []).map((header) => [header.key, fill(header.value)]),
    );
    const url = `${fill(inference?.url.host.join('') ?? '')}/${inference?.url.path.join('/') ?? ''}`;
    const response = await fetch(url, {
      method: inference?.method ?? '',
      headers: { ...headers, authorization: `Bearer ${await config.token()}` },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'from postman' }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { output: { content: string } }).output.content).toBe(
      'Echo: from postman',
    );
  });
});
