import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { verifyExport, type ExportLine } from '../audit/chain.ts';
import { exportLines } from '../audit/export.ts';
import { parseExport } from '../audit/parse.ts';
import { UNAUTHENTICATED_CHAIN } from '../audit/trail.ts';
import type { Services } from '../engine/services.ts';
import { ApiError } from '../errors/api-error.ts';
import { hasScope } from '../security/authz.ts';
import { isValidTenant } from '../security/principal.ts';
import { principalOf } from './auth.ts';
import { errorResponses, RequestIdHeader } from './schemas.ts';

const NDJSON = 'application/x-ndjson';

/** An instant: RFC 3339, or milliseconds since the epoch. */
const Instant = Type.String({ minLength: 1, maxLength: 40 });

const Verified = Type.Union([
  Type.Object({
    verified: Type.Literal(true),
    tenant: Type.String(),
    from: Type.Integer(),
    to: Type.Integer(),
    checkpoints: Type.Integer(),
    signers: Type.Array(Type.String()),
  }),
  Type.Object({ verified: Type.Literal(false), line: Type.Integer(), reason: Type.String() }),
]);

const PublicKeys = Type.Object({
  keys: Type.Array(
    Type.Object({
      kid: Type.String(),
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      use: Type.String(),
      active: Type.Boolean(),
    }),
  ),
});

/**
 * The audit trail's API (docs/audit.md): export a tenant's receipts (scope `audit:read`; a
 * tenant only its own unless `audit:admin`), verify an export, the checkpoints' public keys,
 * and (`audit:admin`) the decision configs receipts name, for replay.
 */
export const auditPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.addContentTypeParser(
    NDJSON,
    { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 },
    (_r, body, done) => {
      done(null, body);
    },
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: { scope: 'audit:read' },
      schema: {
        summary: "A tenant's receipts and the checkpoints that anchor them, as NDJSON.",
        description:
          'Receipts written in [from, to] (default: all), preceded by the checkpoint that anchors the first and ending with a final checkpoint signed now. Verify with POST /api/v1/audit/verify or scripts/audit-verify.ts.',
        tags: ['audit'],
        headers: RequestIdHeader,
        querystring: Type.Object(
          {
            tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            from: Type.Optional(Instant),
            to: Type.Optional(Instant),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'NDJSON export lines.',
            content: { [NDJSON]: { schema: Type.String() } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const tenant = request.query.tenant ?? principal.tenant;
      if (tenant !== principal.tenant && !hasScope(principal, 'audit:admin')) {
        throw new ApiError(
          'FORBIDDEN',
          "A tenant exports only its own receipts (another's needs audit:admin).",
          {
            details: { scope: 'audit:admin' },
          },
        );
      }
      if (!isValidTenant(tenant) && tenant !== UNAUTHENTICATED_CHAIN) {
        throw new ApiError('BAD_REQUEST', 'querystring.tenant is not a tenant id', {
          details: { path: 'querystring.tenant' },
        });
      }
      const fromMs = instant(request.query.from, 'from') ?? 0;
      const toMs = instant(request.query.to, 'to') ?? Date.now();
      const signer = services.snapshot().auditKeys?.active;
      if (signer === undefined) {
        throw new ApiError(
          'NOT_READY',
          'The config contract has no audit signing key (keys/audit.json).',
          {
            retryAfterS: 60,
          },
        );
      }
      const lines = exportLines(services.audit.store, tenant, { fromMs, toMs }, signer);
      // The first read answers here: a store that cannot be reached is a 503, not a cut 200.
      let first: IteratorResult<ExportLine>;
      try {
        first = await lines.next();
      } catch (error) {
        throw new ApiError('AUDIT_UNAVAILABLE', 'The audit store cannot be reached.', {
          retryAfterS: 1,
          cause: error,
        });
      }
      async function* ndjson() {
        if (first.done === true) return;
        yield `${JSON.stringify(first.value)}\n`;
        for await (const line of lines) yield `${JSON.stringify(line)}\n`;
      }
      // The declared 200 is the NDJSON text; fastify streams a Readable as it is.
      return reply.type(NDJSON).send(Readable.from(ndjson()) as unknown as string);
    },
  );

  app.post(
    '/api/v1/audit/verify',
    {
      config: { scope: 'audit:read' },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: 'Verify an export: the first broken line and why, or the verified range.',
        tags: ['audit'],
        headers: RequestIdHeader,
        body: Type.String({ description: 'The export, NDJSON (application/x-ndjson).' }),
        response: { 200: Verified, ...errorResponses },
      },
    },
    async (request) => {
      if (request.headers['content-type']?.split(';')[0]?.trim() !== NDJSON)
        throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `The body must be ${NDJSON}.`);
      const parsed = parseExport(request.body);
      if (!parsed.ok) {
        throw new ApiError('BAD_REQUEST', `body line ${parsed.line}: ${parsed.reason}`, {
          details: { path: 'body', line: parsed.line },
        });
      }
      const keys = services.snapshot().auditKeys?.verifiers ?? new Map();
      const verdict = verifyExport(parsed.lines, keys);
      if (!verdict.ok)
        return { verified: false as const, line: verdict.line, reason: verdict.reason };
      const signers = new Set(
        parsed.lines.flatMap((line) => (line.type === 'checkpoint' ? [line.kid] : [])),
      );
      return {
        verified: true as const,
        tenant: verdict.tenant,
        from: verdict.from,
        to: verdict.to,
        checkpoints: verdict.checkpoints,
        signers: [...signers].sort(),
      };
    },
  );

  app.get(
    '/api/v1/audit/keys',
    {
      config: { scope: 'audit:read' },
      schema: {
        summary:
          "The checkpoints' Ed25519 public keys, as a JWK set (scripts/audit-verify.ts --jwks).",
        tags: ['audit'],
        response: { 200: PublicKeys, ...errorResponses },
      },
    },
    async () => {
      const keys = services.snapshot().auditKeys;
      if (keys === undefined) return { keys: [] };
      return {
        keys: [...keys.verifiers].map(([kid, key]) => {
          const jwk = key.export({ format: 'jwk' });
          return {
            kid,
            kty: String(jwk.kty),
            crv: String(jwk.crv),
            x: String(jwk.x),
            use: 'sig',
            active: kid === keys.active.kid,
          };
        }),
      };
    },
  );

  app.get(
    '/api/v1/audit/configs/:checksum',
    {
      config: { scope: 'audit:admin' },
      schema: {
        summary: 'The decision config a receipt names (its `config` checksum), for replay.',
        tags: ['audit'],
        params: Type.Object({ checksum: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }) }),
        response: {
          200: Type.Object({
            files: Type.Record(Type.String(), Type.String()),
            env: Type.Record(Type.String(), Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      let document;
      try {
        document = await services.audit.store.getConfig(request.params.checksum);
      } catch (error) {
        throw new ApiError('AUDIT_UNAVAILABLE', 'The audit store cannot be reached.', {
          retryAfterS: 1,
          cause: error,
        });
      }
      if (document === undefined) {
        throw new ApiError('NOT_FOUND', `No decision config ${request.params.checksum} is kept.`, {
          details: { checksum: request.params.checksum },
        });
      }
      return document;
    },
  );
};

/** An RFC 3339 instant or epoch milliseconds, or a BAD_REQUEST naming the parameter. */
function instant(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^[0-9]{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ApiError(
      'BAD_REQUEST',
      `querystring.${name} is neither RFC 3339 nor epoch milliseconds`,
      {
        details: { path: `querystring.${name}` },
      },
    );
  }
  return ms;
}
