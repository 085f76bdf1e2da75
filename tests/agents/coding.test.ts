/**
 * The `coding` agent end to end (docs/agents.md): a tool-use round trip on the
 * OpenAI-compatible API served by the Anthropic fake (the model calls a tool, the agent sends
 * its result, the model answers), and MCP tool calls through the gateway to a real MCP server.
 * Its profile lets temperature, max_tokens, tools and tool_choice through, redacts keys,
 * blocks private keys, may reach only Anthropic, and may call the MCP tool `repo__echo` only.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageStream } from '../fakes/anthropic-fake.ts';
import { exportText, receiptsOf } from '../audit/support.ts';
import { startUpstream, type Upstream } from '../mcp/upstream-server.ts';
import { startHarness, TENANT, type Harness } from './harness.ts';

let harness: Harness;
let repo: Upstream;

beforeAll(async () => {
  repo = await startUpstream('repo');
  harness = await startHarness(
    {},
    {
      'mcp.yaml': {
        enabled: true,
        gateways: [
          {
            name: 'dev',
            spec: {
              enabled: true,
              servers: [{ name: 'repo', url: repo.url, allowedTools: ['echo', 'add'] }],
            },
          },
        ],
      },
    },
  );
});
afterAll(async () => {
  await harness.stop();
  await repo.close();
});
beforeEach(() => {
  harness.reset();
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Reads a file of the repository.',
      parameters: { type: 'object', properties: { path: { type: 'string' } } },
    },
  },
];

describe('a coding agent', () => {
  it('gets a tool call, with tools and tool_choice sent and parallel_tool_calls dropped', async () => {
    harness.anthropic.script(
      '/v1/messages',
      messageStream([], {
        stop: 'tool_use',
        toolUses: [{ id: 'toolu_1', name: 'read_file', json: ['{"path":', '"src/app.ts"}'] }],
      }),
    );
    const answer = await harness.post(
      '/v1/chat/completions',
      {
        model: 'coding',
        messages: [
          { role: 'user', content: 'Why does src/app.ts fail? token=sk-ant-1234567890abcdefghij' },
        ],
        tools,
        tool_choice: 'auto',
        parallel_tool_calls: false,
        temperature: 0,
      },
      { agent: 'coding', requestId: 'coding-1' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('x-agent-dropped-fields')).toBe('parallel_tool_calls');
    expect(answer.json).toMatchObject({
      choices: [
        {
          finish_reason: 'tool_calls',
          message: {
            tool_calls: [
              {
                id: 'toolu_1',
                function: { name: 'read_file', arguments: '{"path":"src/app.ts"}' },
              },
            ],
          },
        },
      ],
    });
    const [sent, ...more] = harness.upstream();
    expect(more).toEqual([]);
    expect(sent?.path).toBe('/v1/messages');
    // The key redacted, max_tokens the profile's, parallel_tool_calls gone.
    expect(sent?.raw).toBe(
      '{"model":"claude-coder","max_tokens":4096,"messages":[{"role":"user","content":"Why does src/app.ts fail? token=[REDACTED:api_key]"}],"stream":true,"temperature":0,"tools":[{"name":"read_file","description":"Reads a file of the repository.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"tool_choice":{"type":"auto"}}',
    );
  });

  it('sends the tool result back and gets the answer', async () => {
    const answer = await harness.post(
      '/v1/chat/completions',
      {
        model: 'coding',
        messages: [
          { role: 'user', content: 'Why does src/app.ts fail?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'read_file', arguments: '{"path":"src/app.ts"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'export const port = "8080";' },
        ],
        tools,
      },
      { agent: 'coding', requestId: 'coding-2' },
    );
    expect(answer.status, answer.text).toBe(200);
    expect(harness.upstream().map((each) => each.raw)).toEqual([
      '{"model":"claude-coder","max_tokens":4096,"messages":[{"role":"user","content":"Why does src/app.ts fail?"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"read_file","input":{"path":"src/app.ts"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"export const port = \\"8080\\";"}]}],"stream":true,"tools":[{"name":"read_file","description":"Reads a file of the repository.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}]}',
    ]);
  });

  it('is refused a private key in its input by its PII policy', async () => {
    const key = [
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '-----END PRIVATE KEY-----',
    ].join('\n');
    const answer = await harness.post(
      '/v1/chat/completions',
      { model: 'coding', messages: [{ role: 'user', content: `deploy with ${key}` }] },
      { agent: 'coding', requestId: 'coding-3' },
    );
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      error: { code: 'CONTENT_BLOCKED', details: { kinds: ['private_key'] } },
    });
    expect(harness.upstream()).toEqual([]);
  });

  it('sees only the MCP tools its profile lists, where a caller that is no agent sees all', async () => {
    const names = async (type?: string) => {
      const client = new Client({ name: 'lister', version: '1.0.0' });
      const token = await harness.token(type, ['mcp:invoke']);
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${harness.base}/mcp/dev`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      try {
        return (await client.listTools()).tools.map((tool) => tool.name).sort();
      } finally {
        await client.close();
      }
    };
    expect(await names('coding')).toEqual(['repo__echo']);
    expect(await names()).toEqual(['repo__add', 'repo__echo']);
  });

  it('calls the MCP tool its profile lists and is refused one it does not', async () => {
    const client = new Client({ name: 'coding-agent', version: '1.0.0' });
    const token = await harness.token('coding', ['mcp:invoke']);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${harness.base}/mcp/dev`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const echoed = await client.callTool({
        name: 'repo__echo',
        arguments: { text: 'grep main' },
      });
      expect(echoed.isError).not.toBe(true);
      const error = await client.callTool({ name: 'repo__add', arguments: { a: 1, b: 2 } }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).data).toMatchObject({
        code: 'AGENT_FORBIDDEN',
        details: { reason: 'tool_not_allowed', agent: 'coding', tool: 'repo__add' },
      });
    } finally {
      await client.close();
    }
    const receipts = receiptsOf(await exportText(harness.app, harness.config, TENANT)).filter(
      (receipt) => receipt['kind'] === 'tool',
    );
    // Each names the agent, served or refused.
    expect(receipts.map((receipt) => receipt['agent'])).toEqual([
      { type: 'coding', dropped: [], refused: [] },
      { type: 'coding', dropped: [], refused: [] },
    ]);
    expect(
      receipts.map((receipt) => [receipt['outcome'], receipt['error'], receipt['mcp']]),
    ).toEqual([
      ['served', undefined, expect.objectContaining({ server: 'repo', tool: 'echo' })],
      [
        'refused',
        { code: 'AGENT_FORBIDDEN' },
        expect.objectContaining({ server: 'repo', tool: 'add' }),
      ],
    ]);
  });

  it('has receipts and metrics of its own', async () => {
    expect(await harness.receipt('coding-1')).toMatchObject({
      outcome: 'served',
      agent: { type: 'coding', dropped: ['parallel_tool_calls'], refused: [] },
      findings: { 'pii:api_key': 1 },
      served: { provider: 'anthropic', model: 'claude-coder' },
    });
    expect(
      await harness.metric(
        'inference_agent_requests_total{agent="coding",surface="chat-completions",outcome="served",code=""}',
      ),
    ).toBe(2);
    expect(
      await harness.metric(
        'inference_agent_dropped_fields_total{agent="coding",field="parallel_tool_calls"}',
      ),
    ).toBe(1);
  });
});
