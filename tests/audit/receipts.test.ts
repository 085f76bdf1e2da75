import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../crds/canonical-json.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import type { ConfigDir } from '../support/config-dir.ts';
import {
  auditConfig,
  CREDENTIAL,
  exportText,
  linesOf,
  receiptFor,
  receiptsOf,
  verify,
} from './support.ts';

let app: FastifyInstance;
let config: ConfigDir;

beforeAll(async () => {
  config = await auditConfig();
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

async function infer(
  tenant: string,
  id: string,
  body: object,
  options: { scopes?: readonly string[]; url?: string; token?: boolean } = {},
) {
  const token = await config.token({
    tenant,
    ...(options.scopes ? { scopes: [...options.scopes] } : {}),
  });
  return app.inject({
    method: 'POST',
    url: options.url ?? '/api/v1/inference',
    headers: {
      ...(options.token === false ? {} : { authorization: `Bearer ${token}` }),
      'x-request-id': id,
    },
    payload: body,
  });
}

const hello = { model: 'chat', messages: [{ role: 'user', content: 'hello there' }] };

describe('a served request', () => {
  it('leaves one receipt with its route, attempt, served model, checksums, tokens and cost', async () => {
    const response = await infer('acme', 'served-1', hello);
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'served-1');
    const snapshot = app.services.snapshot();
    expect(receipt).toMatchObject({
      v: 1,
      kind: 'request',
      tenant: 'acme',
      principal: 'tester',
      surface: 'inference',
      outcome: 'served',
      model: 'chat',
      attempts: [{ target: 'echo', provider: 'mock', model: 'echo', outcome: 'ok' }],
      served: { target: 'echo', provider: 'mock', model: 'echo' },
      config: snapshot.decision.checksum,
      pricing: snapshot.pricing.checksum,
      usage: { input_tokens: expect.any(Number), output_tokens: 3, cached_tokens: 0 },
      pii: { input: 'block', output: 'redact' },
      streamed: false,
    });
    expect(Number(receipt['cost_usd'])).toBeGreaterThan(0);
    expect(Date.parse(String(receipt['at']))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('names the prompt it rendered by id, version and checksum', async () => {
    const response = await infer('acme', 'prompted-1', {
      model: 'chat',
      prompt: { id: 'summarize', variables: { text: 'a short text to summarise' } },
    });
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'prompted-1');
    const [manifest] = app.services.snapshot().prompts.get('summarize') ?? [];
    expect(receipt['prompt']).toEqual({
      id: 'summarize',
      version: manifest?.version,
      checksum: manifest?.checksum,
    });
  });

  it('records both attempts of a fallback, the failed one with its code', async () => {
    const response = await infer('acme', 'fallback-1', { ...hello, model: 'fallback' });
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'fallback-1');
    expect(receipt['attempts']).toEqual([
      {
        target: 'broken',
        provider: 'mock',
        model: 'fail?code=UPSTREAM_UNAVAILABLE',
        outcome: 'UPSTREAM_UNAVAILABLE',
      },
      { target: 'echo', provider: 'mock', model: 'echo', outcome: 'ok' },
    ]);
    expect(receipt['served']).toMatchObject({ target: 'echo' });
  });

  it('has its receipt durable before the last event of a stream', async () => {
    const response = await infer(
      'acme',
      'streamed-1',
      { ...hello, stream: true },
      { url: '/v1/chat/completions' },
    );
    expect(response.body).toContain('data: [DONE]');
    const receipt = await receiptFor(app, config, 'acme', 'streamed-1');
    expect(receipt).toMatchObject({
      surface: 'chat-completions',
      outcome: 'served',
      streamed: true,
    });
  });
});

describe('a refused request', () => {
  it.each([
    ['auth', '_unauthenticated', { token: false }, hello, 'UNAUTHENTICATED'],
    ['scope', 'acme', { scopes: ['usage:read'] }, hello, 'FORBIDDEN'],
    ['budget', 'broke', {}, hello, 'BUDGET_EXCEEDED'],
    ['rate', 'still', {}, hello, 'RATE_LIMITED'],
    [
      'safety',
      'acme',
      {},
      { model: 'chat', messages: [{ role: 'user', content: 'mail me at ana@example.com' }] },
      'CONTENT_BLOCKED',
    ],
    ['validation', 'acme', {}, { ...hello, model: 'no-such-model' }, 'MODEL_NOT_FOUND'],
    ['validation', 'acme', {}, { messages: 'not a list' }, 'BAD_REQUEST'],
  ] as const)(
    'by %s leaves a receipt in chain %s that says so',
    async (by, chain, options, body, code) => {
      const id = `refused-${by}-${code}`;
      const response = await infer(
        chain === '_unauthenticated' ? 'acme' : chain,
        id,
        body,
        options,
      );
      expect(response.json().error.code).toBe(code);
      const receipt = await receiptFor(app, config, chain, id);
      expect(receipt).toMatchObject({ outcome: 'refused', error: { code, refused_by: by } });
      expect(receipt['served']).toBeUndefined();
    },
  );
});

describe('what a receipt never holds', () => {
  it('holds no prompt, message or completion: only digests keyed per tenant', async () => {
    const secret = 'zebra-quartz-hologram-7731';
    const body = { model: 'chat', messages: [{ role: 'user', content: `tell me ${secret}` }] };
    for (const tenant of ['acme', 'globex']) {
      const response = await infer(tenant, `private-${tenant}`, body);
      expect(response.json().output.content).toContain(secret);
    }
    const exports = await Promise.all(
      ['acme', 'globex'].map((tenant) => exportText(app, config, tenant)),
    );
    for (const text of exports) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('tell me');
    }
    const [acme, globex] = await Promise.all(
      ['acme', 'globex'].map((tenant) => receiptFor(app, config, tenant, `private-${tenant}`)),
    );
    const digests = [acme?.['content_sha'], globex?.['content_sha']] as {
      input: string;
      output: string;
    }[];
    expect(digests[0]?.input).toMatch(/^[0-9a-f]{64}$/);
    expect(digests[0]?.output).toMatch(/^[0-9a-f]{64}$/);
    // Equal texts of two tenants are not linkable.
    expect(digests[0]?.input).not.toBe(digests[1]?.input);
    expect(digests[0]?.output).not.toBe(digests[1]?.output);
  });

  it('holds no secret, and neither does the decision config it names', async () => {
    const response = await infer('acme', 'keyed-1', { ...hello, model: 'keyed' });
    expect(response.statusCode).toBe(200);
    const receipt = await receiptFor(app, config, 'acme', 'keyed-1');
    const decision = await app.inject({
      url: `/api/v1/audit/configs/${String(receipt['config'])}`,
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'auditor' })}`,
        'x-request-id': 'cfg',
      },
    });
    expect(decision.statusCode).toBe(200);
    const audit = JSON.parse(await readFile(join(config.dir, 'keys/audit.json'), 'utf8')) as {
      keys: { privateKey: string }[];
      contentKey: string;
    };
    const secrets = [CREDENTIAL, audit.contentKey, ...audit.keys.map((key) => key.privateKey)];
    for (const text of [
      JSON.stringify(receipt),
      await exportText(app, config, 'acme'),
      decision.body,
    ]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(Object.keys(decision.json<{ files: object }>().files)).not.toContain('keys/audit.json');
  });

  it("proves a text to whoever holds the tenant's key, and to no one else", async () => {
    const messages = [{ role: 'user', content: 'prove this one' }];
    await infer('acme', 'provable-1', { model: 'chat', messages });
    const receipt = await receiptFor(app, config, 'acme', 'provable-1');
    const contentKey = app.services.snapshot().auditKeys?.contentKey ?? Buffer.alloc(32);
    const tenantKey = createHmac('sha256', contentKey).update('content_sha:acme').digest();
    const input = createHmac('sha256', tenantKey).update(canonicalJson(messages)).digest('hex');
    const output = createHmac('sha256', tenantKey).update('Echo: prove this one').digest('hex');
    expect(receipt['content_sha']).toEqual({ input, output });
  });
});

describe('the export', () => {
  it('verifies whole, and names the first line an edit broke', async () => {
    await infer('initech', 'export-1', hello);
    await infer('initech', 'export-2', hello);
    const text = await exportText(app, config, 'initech');
    const lines = linesOf(text);
    expect(lines.at(-1)).toMatchObject({ type: 'checkpoint', final: true, kid: 'a1' });
    expect(await verify(app, config, text)).toEqual({
      verified: true,
      tenant: 'initech',
      from: 1,
      to: 2,
      checkpoints: 1,
      signers: ['a1'],
    });
    const edited = text.replace('"outcome":"served"', '"outcome":"refused"');
    expect(await verify(app, config, edited)).toEqual({
      verified: false,
      line: 1,
      reason: 'hash does not match the receipt',
    });
  });

  it('serves only receipts written within from and to', async () => {
    const before = Date.now();
    await infer('hooli', 'range-1', hello);
    const text = await exportText(
      app,
      config,
      'hooli',
      `&from=${before}&to=${new Date(Date.now() + 1000).toISOString()}`,
    );
    expect(receiptsOf(text).map((receipt) => receipt['request_id'])).toEqual(['range-1']);
    expect(await exportText(app, config, 'hooli', `&to=${before - 60_000}`)).toBe('');
  });

  it("refuses a tenant another tenant's chain, unless it holds audit:admin", async () => {
    const response = await app.inject({
      url: '/api/v1/audit/export?tenant=acme',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'globex', scopes: ['audit:read'] })}`,
        'x-request-id': 'peek',
      },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.details).toEqual({ scope: 'audit:admin' });
  });

  it('refuses a verify body that is not export lines, naming the line', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/audit/verify',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'acme' })}`,
        'content-type': 'application/x-ndjson',
        'x-request-id': 'bad-verify',
      },
      payload: '{"type":"receipt"}\n',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual({ path: 'body', line: 1 });
  });

  it('publishes the public keys as a JWK set, the active one marked', async () => {
    const response = await app.inject({
      url: '/api/v1/audit/keys',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'acme' })}`,
        'x-request-id': 'keys',
      },
    });
    const jwk = config.auditKey.export({ format: 'jwk' });
    expect(response.json()).toEqual({
      keys: [{ kid: 'a1', kty: 'OKP', crv: 'Ed25519', x: jwk.x, use: 'sig', active: true }],
    });
  });
});
