/**
 * The agent contract's drift check (docs/agents.md): the contract the running app serves (its
 * OpenAPI document's agent routes, the agent headers, the error vocabulary) must be the
 * published contracts/agents/agent-contract.json. A breaking change fails unless the contract's
 * major version moved (`AGENT_CONTRACT_VERSION`), judged by the prompt manifests' detector; any
 * other difference fails until the file is rewritten:
 *
 *   AGENT_CONTRACT=write npx vitest run tests/agents/contract.test.ts
 *
 * which refuses to write a breaking change that the version does not announce.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import {
  agentContract,
  contractChanges,
  type AgentContract,
  type OpenApiDocument,
} from '../../dataplane/src/integrations/nops/contract.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const FILE = join(import.meta.dirname, '../../contracts/agents/agent-contract.json');

let config: ConfigDir;
let served: AgentContract;

beforeAll(async () => {
  config = await makeConfigDir({ prompts: false });
  const app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  await app.ready();
  served = agentContract(app.swagger() as unknown as OpenApiDocument);
  await app.close();
});
afterAll(async () => {
  await config.cleanup();
});

const published = async () => JSON.parse(await readFile(FILE, 'utf8')) as AgentContract;
const breakingOf = (base: AgentContract, head: AgentContract) =>
  contractChanges(base, head).breaking.map((change) => change.message);

describe('the agent contract', () => {
  it('breaks nothing the published version promises, unless its major version moved', async () => {
    const base = await published();
    const report = contractChanges(base, served);
    expect(
      report.ok,
      `Breaking changes without a major version (${base.version} → ${served.version}): ${breakingOf(base, served).join('; ')}`,
    ).toBe(true);
    if (process.env['AGENT_CONTRACT'] === 'write')
      // As prettier (make lint) wants the file.
      await writeFile(
        FILE,
        await format(JSON.stringify(served, null, 2), {
          ...(await resolveConfig(FILE)),
          filepath: FILE,
        }),
      );
  });

  it('is the published file, byte for byte in meaning', async () => {
    expect(
      served,
      'The served contract differs from contracts/agents/agent-contract.json: rewrite it with AGENT_CONTRACT=write npx vitest run tests/agents/contract.test.ts',
    ).toEqual(await published());
  });
});

describe('the breaking-change detector on the contract', () => {
  const edit = (change: (contract: AgentContract) => void, version = served.version) => {
    const head = structuredClone(served);
    change(head);
    head.version = version;
    return head;
  };
  const body = (contract: AgentContract, route: string) =>
    (contract.request['properties'] as Record<string, { properties: { body: Schema } }>)[route]!
      .properties.body;
  type Schema = { properties: Record<string, unknown>; required?: string[] };

  it('calls a request field removed breaking, and accepts it with a major version', () => {
    const head = edit((contract) => {
      delete body(contract, '/api/v1/inference').properties['parameters'];
    });
    expect(breakingOf(served, head)).toEqual([
      'request["/api/v1/inference"].body.parameters was removed',
    ]);
    expect(contractChanges(served, head).ok).toBe(false);
    expect(contractChanges(served, { ...head, version: '2.0.0' }).ok).toBe(true);
  });

  it('calls a newly required request field breaking', () => {
    const head = edit((contract) => {
      const schema = body(contract, '/api/v1/inference');
      schema.required = [...(schema.required ?? []), 'model'];
    });
    expect(breakingOf(served, head)).toEqual([
      'request["/api/v1/inference"].body.model is now required',
    ]);
  });

  it('calls an error code removed or its status changed breaking, a new code not', () => {
    const errors = (contract: AgentContract) =>
      (contract.response['properties'] as Record<string, Schema>)['errors']!;
    const removed = edit((contract) => {
      delete errors(contract).properties['AGENT_FORBIDDEN'];
      errors(contract).required = (errors(contract).required ?? []).filter(
        (code) => code !== 'AGENT_FORBIDDEN',
      );
    });
    expect(breakingOf(served, removed)).toEqual(['response.errors.AGENT_FORBIDDEN was removed']);
    const moved = edit((contract) => {
      (errors(contract).properties['AGENT_FORBIDDEN'] as Schema).properties['status'] = {
        const: 400,
      };
    });
    expect(breakingOf(served, moved)).toHaveLength(1);
    const added = edit((contract) => {
      errors(contract).properties['AGENT_NEW'] = { type: 'object' };
      errors(contract).required = [...(errors(contract).required ?? []), 'AGENT_NEW'];
    });
    expect(breakingOf(served, added)).toEqual([]);
  });

  it('calls a response header removed breaking', () => {
    const head = edit((contract) => {
      const route = (
        contract.response['properties'] as Record<string, { properties: { headers: Schema } }>
      )['/v1/chat/completions']!;
      delete route.properties.headers.properties['x-agent-dropped-fields'];
    });
    expect(breakingOf(served, head)).toEqual([
      'response["/v1/chat/completions"].headers.x-agent-dropped-fields was removed',
    ]);
  });
});
