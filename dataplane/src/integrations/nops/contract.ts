/**
 * The agent contract (docs/agents.md, contracts/agents/agent-contract.json): what an agent sends
 * and receives on the routes agents use, built from the OpenAPI document of the running app (so
 * from the route schemas that serve them), the response headers the agent stage sets, and the
 * error vocabulary. `contractChanges` judges a change with the prompt manifests' detector
 * (crds/prompts): a breaking change needs a major version, as a prompt's does.
 */
import { AGENT_FIELDS } from '../../../../crds/agent-settings.ts';
import { announcesBreakingChanges } from '../../../../crds/prompts/compat.ts';
import { findSchemaNarrowings } from '../../../../crds/prompts/schema-compat.ts';
import { ERROR_CODES, ERRORS } from '../../core/error-codes.ts';
import { AGENT_TYPE_HEADER, DROPPED_FIELDS_HEADER } from './stage.ts';

/** The contract's version: move the major with any breaking change (`contractChanges`). */
export const AGENT_CONTRACT_VERSION = '1.0.0';

/** The routes an agent calls. */
export const AGENT_ROUTES = [
  '/api/v1/inference',
  '/api/v1/inference:stream',
  '/v1/chat/completions',
] as const;

type Schema = Record<string, unknown>;

export interface AgentContract {
  title: string;
  version: string;
  /** Where the agent type comes from; never a header the caller sets. */
  identity: { claim: string; mtls: string };
  /** Per route: the headers and body an agent may send; `fields`: what profiles can let through. */
  request: Schema;
  /** Per route: the headers and body an agent gets; `errors`: each code's status and retry. */
  response: Schema;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, { post?: OpenApiOperation }>;
}

const object = (properties: Record<string, unknown>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length === 0 ? {} : { required }),
});

/** The contract as the code serves it now. */
export function agentContract(
  openapi: OpenApiDocument,
  version = AGENT_CONTRACT_VERSION,
): AgentContract {
  const requests: Record<string, unknown> = {};
  const responses: Record<string, unknown> = {};
  for (const route of AGENT_ROUTES) {
    const operation = openapi.paths[route]?.post;
    if (operation === undefined) throw new Error(`The app serves no POST ${route}.`);
    const headers = (operation.parameters ?? []).filter((each) => each.in === 'header');
    requests[route] = object(
      {
        headers: object(
          {
            authorization: { type: 'string', pattern: '^Bearer ' },
            ...Object.fromEntries(headers.map((each) => [each.name, each.schema])),
          },
          ['authorization', ...headers.filter((each) => each.required).map((each) => each.name)],
        ),
        body: operation.requestBody?.content['application/json']?.schema ?? {},
      },
      ['headers', 'body'],
    );
    const ok = operation.responses['200']?.content ?? {};
    responses[route] = object(
      {
        headers: object({
          'x-request-id': { type: 'string' },
          [AGENT_TYPE_HEADER]: { type: 'string', description: 'The agent type that was applied.' },
          [DROPPED_FIELDS_HEADER]: {
            type: 'string',
            description: 'The request fields the profile dropped, comma-separated; absent: none.',
          },
        }),
        body: Object.fromEntries(
          Object.entries(ok).map(([type, content]) => [type, content.schema]),
        ),
      },
      ['headers', 'body'],
    );
  }
  const errors = object(
    Object.fromEntries(
      ERROR_CODES.map((code) => [
        code,
        object(
          { status: { const: ERRORS[code].status }, retryable: { const: ERRORS[code].retryable } },
          ['status', 'retryable'],
        ),
      ]),
    ),
    [...ERROR_CODES],
  );
  return {
    title: 'NOPS agent contract (inference-service)',
    version,
    identity: {
      claim: 'The verified JWT claim gateway.yaml agents.claim names (default agent_type).',
      mtls: 'The verified client certificate identity, mapped by gateway.yaml agents.identities.',
    },
    request: object({ ...requests, fields: { enum: [...AGENT_FIELDS] } }),
    response: object({ ...responses, errors }, ['errors']),
  };
}

export interface ContractChange {
  path: string;
  message: string;
}

export interface ContractReport {
  /** Changes that can break an agent built against `base`. */
  breaking: ContractChange[];
  /** Whether head's version announces breaking changes (a major move, as npm's caret reads it). */
  majorBump: boolean;
  ok: boolean;
}

/**
 * Breaking changes from `base` (the published contract) to `head` (the code's): on the
 * request side anything the detector calls a narrowing (a field removed, newly required or
 * constrained further: what an agent sends may now be refused); on the response side a field,
 * header or error code removed or changed (an agent may read it). Additions are not breaking.
 */
export function contractChanges(base: AgentContract, head: AgentContract): ContractReport {
  const breaking: ContractChange[] = [
    ...findSchemaNarrowings(base.request, head.request).map((each) => renamed(each, 'request')),
    ...findSchemaNarrowings(base.response, head.response)
      .filter((each) => each.kind !== 'variable-required')
      .map((each) => renamed(each, 'response')),
  ];
  if (base.identity.claim !== head.identity.claim || base.identity.mtls !== head.identity.mtls)
    breaking.push({
      path: 'identity',
      message: 'identity: where the agent type comes from changed',
    });
  const majorBump = announcesBreakingChanges(base.version, head.version);
  return { breaking, majorBump, ok: breaking.length === 0 || majorBump };
}

/** The detector names paths as prompt variables (`variables.x`); here they are contract paths. */
function renamed(change: { path: string; message: string }, side: string): ContractChange {
  // Only the root: a body may well have a field named `variables` (a prompt's).
  const rename = (text: string) => text.replace('variables', side);
  return { path: rename(change.path), message: rename(change.message) };
}
