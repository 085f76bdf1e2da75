import { describe, expect, it } from 'vitest';
import type { MCPGateway } from '../../../crds/mcp-gateway.ts';
import type { McpServerReport } from '../../../crds/mcp-status.ts';
import { mcp, NOW, refs } from '../../test/fixtures.ts';
import type { McpReports } from './mcp-gateway-status.ts';
import { reconcileMCPGateway, type MCPGatewayObserved } from './mcp-gateway.ts';

const report = (partial: Partial<McpServerReport> = {}): McpServerReport => ({
  reachable: true,
  tools: 2,
  checkedAt: NOW.toISOString(),
  config: 'sha256:c',
  ...partial,
});

const reported = (servers: Record<string, McpServerReport>): McpReports => ({
  known: true,
  servers: new Map(Object.entries(servers)),
});

const BOTH_UP = reported({ 'docs-search': report(), tickets: report({ tools: 1 }) });

/** The observation of a gateway that is rendered as it is, with both servers reported up. */
function observed(g: MCPGateway | undefined, extra: Partial<MCPGatewayObserved> = {}) {
  return {
    gateway: g,
    gateways: g === undefined ? [] : [g],
    refs: refs(),
    aliases: new Set(['chat']),
    airGapped: false,
    mcpEnabled: true,
    renderedGateways: g === undefined ? [] : [{ name: g.metadata.name, spec: g.spec }],
    reports: BOTH_UP,
    statusIntervalS: 30,
    now: NOW,
    ...extra,
  };
}

/** The sample with the status a previous pass wrote. */
const withStatus = (status: MCPGateway['status'] | undefined): MCPGateway => ({
  ...mcp(),
  ...(status === undefined ? {} : { status }),
});

const reconcile = (g: MCPGateway | undefined, extra: Partial<MCPGatewayObserved> = {}) =>
  reconcileMCPGateway(observed(g, extra));
const ready = (g: MCPGateway | undefined, extra: Partial<MCPGatewayObserved> = {}) =>
  reconcile(g, extra).status?.conditions?.[0];

describe('reconcileMCPGateway', () => {
  it('is Serving once rendered and every server is reported reachable, with the tool count', () => {
    const { status, requeueAfterMs } = reconcile(mcp());
    expect(status?.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Serving',
      message: 'Serves 3 tool(s) from 2 reachable server(s).',
      observedGeneration: 1,
    });
    expect(status?.servers).toEqual([
      { name: 'docs-search', reachable: true, tools: 2 },
      { name: 'tickets', reachable: true, tools: 1 },
    ]);
    expect(status?.tools).toBe(3);
    expect(requeueAfterMs).toBe(30_000);
  });

  it.each([
    ['the chart has MCP off', mcp(), { mcpEnabled: false }, 'False', 'McpDisabled'],
    ['the resource is disabled', mcp('m', { enabled: false }), {}, 'False', 'Disabled'],
    [
      'a second enabled gateway',
      mcp('newer', undefined, '2026-02-01T00:00:00Z'),
      { gateways: [mcp('older'), mcp('newer', undefined, '2026-02-01T00:00:00Z')] },
      'False',
      'MultipleGateways',
    ],
    ['a missing Secret', mcp(), { refs: refs({ secrets: new Map() }) }, 'False', 'SecretNotFound'],
    [
      'a Secret without the key',
      mcp(),
      { refs: refs({ secrets: new Map([['tickets-mcp-token', {}]]) }) },
      'False',
      'SecretKeyNotFound',
    ],
    [
      'a fallback alias nobody serves',
      mcp(),
      { aliases: new Set<string>() },
      'False',
      'FallbackRouteNotFound',
    ],
    ['an external server in air-gapped mode', mcp(), { airGapped: true }, 'False', 'EgressBlocked'],
    [
      'mcp.yaml not yet carrying it',
      mcp(),
      { renderedGateways: undefined },
      'Unknown',
      'RenderPending',
    ],
    [
      'mcp.yaml carrying an older spec',
      mcp(),
      { renderedGateways: [{ name: 'mcp', spec: { enabled: false } }] },
      'Unknown',
      'RenderPending',
    ],
    [
      'no Redis to read reports from',
      mcp(),
      { reports: { known: false, message: 'no Redis' } },
      'Unknown',
      'ReachabilityUnknown',
    ],
    ['no report yet', mcp(), { reports: reported({}) }, 'Unknown', 'AwaitingReport'],
    [
      'one server not yet reported',
      mcp(),
      { reports: reported({ tickets: report() }) },
      'Unknown',
      'AwaitingReport',
    ],
    [
      'a server reported unreachable',
      mcp(),
      {
        reports: reported({
          'docs-search': report(),
          tickets: report({ reachable: false, tools: 0, error: 'ECONNREFUSED.' }),
        }),
      },
      'False',
      'UpstreamUnreachable',
    ],
  ] as const)('%s → %s %s', (_title, g, extra, status, reason) => {
    expect(ready(g, extra)).toMatchObject({ status, reason });
  });

  it('names the unreachable server and why, and counts only the reachable tools', () => {
    const down = reported({
      'docs-search': report(),
      tickets: report({ reachable: false, tools: 0, error: 'no answer within 300 ms.' }),
    });
    const { status } = reconcile(mcp(), { reports: down });
    expect(status?.conditions?.[0]?.message).toContain('tickets (no answer within 300 ms.)');
    expect(status?.servers?.[1]).toEqual({
      name: 'tickets',
      reachable: false,
      tools: 0,
      message: 'no answer within 300 ms.',
    });
    expect(status?.tools).toBe(2);
  });

  it('shows no servers and does not come back for a gateway that is not rendered', () => {
    const result = reconcile(mcp('m', { enabled: false }));
    expect(result.status?.servers).toBeUndefined();
    expect(result.status?.tools).toBeUndefined();
    expect(result.requeueAfterMs).toBeUndefined();
  });

  it('records an Event when a server becomes unreachable, comes back, or lists other tools', () => {
    const first = reconcile(mcp());
    expect(first.events?.map((e) => e.reason)).toEqual(['ToolsDiscovered', 'ToolsDiscovered']);
    const before = withStatus(first.status);
    const down = reported({
      'docs-search': report({ tools: 3 }),
      tickets: report({ reachable: false, tools: 0, error: 'ECONNREFUSED.' }),
    });
    const second = reconcile(before, { reports: down });
    expect(second.events).toEqual([
      expect.objectContaining({
        type: 'Normal',
        reason: 'ToolsDiscovered',
        note: 'Server docs-search is reachable and lists 3 allowed tool(s) (was 2).',
      }),
      expect.objectContaining({
        type: 'Warning',
        reason: 'UpstreamUnreachable',
        note: 'Server tickets is unreachable: ECONNREFUSED.',
      }),
    ]);
    const back = reconcile(withStatus(second.status));
    expect(back.events?.map((e) => `${e.type} ${e.reason}`)).toEqual([
      'Normal ToolsDiscovered',
      'Normal UpstreamReachable',
    ]);
    expect(reconcile(withStatus(back.status)).events).toEqual([]);
  });

  it('desires nothing for a gateway that is gone', () => {
    expect(ready(undefined)).toBeUndefined();
  });
});
