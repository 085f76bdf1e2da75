// The generated Insomnia export (sdk/insomnia.ts) against the API it is generated from, and one
// of its requests, with Insomnia's variables filled in, against a real gateway.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../../tests/support/config-dir.ts';

interface Resource {
  _id: string;
  _type: string;
  parentId: string | null;
  name: string;
  method?: string;
  url?: string;
  headers?: { name: string; value: string }[];
  authentication?: { type: string; token: string };
  data?: Record<string, string>;
}

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const exported = JSON.parse(read('sdk/insomnia/inference-service.insomnia.json')) as {
  _type: string;
  __export_format: number;
  resources: Resource[];
};
const document = parse(read('docs/openapi.yaml')) as {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
};

const requests = exported.resources.filter((resource) => resource._type === 'request');
const key = (request: Resource) =>
  `${request.method ?? ''} ${(request.url ?? '').replace('{{ base_url }}', '').replace(/\{\{ (\w+) \}\}/g, '{$1}')}`;
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    key: `${method.toUpperCase()} ${path}`,
    requestId: (operation.parameters ?? []).some(
      (parameter) => parameter.in === 'header' && parameter.name === 'x-request-id',
    ),
  })),
);
const environments = exported.resources.filter((resource) => resource._type === 'environment');
/** Insomnia's rendering of the few template forms the export uses. */
const render = (text: string, variables: Record<string, string>): string =>
  text
    .replace("{% uuid 'v4' %}", crypto.randomUUID())
    .replace(/\{\{ ?(\w+) ?\}\}/g, (_, name: string) => render(variables[name] ?? '', variables));

describe('the Insomnia export', () => {
  it('is an export of format 4, which Insomnia imports', () => {
    expect([exported._type, exported.__export_format]).toEqual(['export', 4]);
  });

  it('has one request for each operation of docs/openapi.yaml', () => {
    expect(requests.map(key).sort()).toEqual(operations.map((op) => op.key).sort());
  });

  it("sends a fresh {% uuid 'v4' %} as x-request-id wherever the API takes one", () => {
    const byKey = new Map(requests.map((request) => [key(request), request]));
    for (const operation of operations.filter((op) => op.requestId)) {
      const header = byKey.get(operation.key)?.headers?.find((h) => h.name === 'x-request-id');
      expect(header?.value, operation.key).toBe("{% uuid 'v4' %}");
    }
  });

  it('points its environment at make run, with the bearer token left for the one it prints', () => {
    const variables = Object.assign({}, ...environments.map((env) => env.data)) as Record<
      string,
      string
    >;
    expect(render('{{ base_url }}', variables)).toBe('http://127.0.0.1:8080');
    expect(variables['bearerToken']).toBe('');
  });
});

describe('a request of the Insomnia export', () => {
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
    const inference = requests.find((request) => key(request) === 'POST /api/v1/inference');
    const variables = {
      base_url: base,
      bearerToken: await config.token(),
    };
    const headers = Object.fromEntries(
      (inference?.headers ?? []).map((header) => [header.name, render(header.value, variables)]),
    );
    expect(inference?.authentication?.type).toBe('bearer');
    const response = await fetch(render(inference?.url ?? '', variables), {
      method: inference?.method ?? '',
      headers: {
        ...headers,
        'content-type': 'application/json',
        authorization: `Bearer ${render(inference?.authentication?.token ?? '', variables)}`,
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'from insomnia' }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { output: { content: string } }).output.content).toBe(
      'Echo: from insomnia',
    );
  });
});
