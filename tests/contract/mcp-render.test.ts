// The MCP part of the config contract against the dataplane's loader: with the chart's
// mcp.enabled, the gateway reconcile renders mcp.yaml with the namespace's MCPGateway, its
// servers' credentials and their egress, and the dataplane serves that gateway; with it off,
// there is no mcp.yaml and the dataplane serves none.
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import { reconcileGateway } from '../../operator/src/controllers/gateway.ts';
import { configChecksum } from '../../operator/src/render/config-contract.ts';
import { mcp, refs } from '../../operator/test/fixtures.ts';
import { find, mountedFiles, observed } from '../../operator/test/gateway-observed.ts';

const ON = { enabled: true, statusIntervalS: 30 };

const snapshotOf = (files: Map<string, string>) =>
  buildSnapshot({ files, checksum: configChecksum(files) }, {});

describe('mcp.yaml in the rendered contract', () => {
  it('serves the MCPGateway in the dataplane, with the Secret as the upstream credential', () => {
    const files = mountedFiles(reconcileGateway(observed({}, { mcp: ON })).desired);
    const served = snapshotOf(files).mcp;
    expect([...served.gateways.keys()]).toEqual(['mcp']);
    const gateway = served.gateways.get('mcp');
    expect(gateway?.upstreams.map((u) => [u.name, u.transport, u.token])).toEqual([
      ['docs-search', 'streamable-http', undefined],
      ['tickets', 'sse', 't'],
    ]);
    expect(gateway?.fallbackRoute).toBe('chat');
    expect(served.statusIntervalMs).toBe(30_000);
  });

  it("is absent with the chart's mcp.enabled off, and the dataplane serves no gateway", () => {
    const files = mountedFiles(
      reconcileGateway(observed({}, { mcp: { ...ON, enabled: false } })).desired,
    );
    expect(files.has('mcp.yaml')).toBe(false);
    expect(files.has('credentials/tickets-mcp-token__token')).toBe(false);
    expect(snapshotOf(files).mcp.gateways.size).toBe(0);
  });

  it('leaves out a gateway whose credential Secret is missing, so the snapshot still loads', () => {
    const files = mountedFiles(
      reconcileGateway(observed({ refs: refs({ secrets: new Map() }) }, { mcp: ON })).desired,
    );
    expect(snapshotOf(files).mcp.gateways.size).toBe(0);
  });

  it('leaves out a disabled gateway: its endpoint is a 404', () => {
    const files = mountedFiles(
      reconcileGateway(observed({ mcpGateways: [mcp('mcp', { enabled: false })] }, { mcp: ON }))
        .desired,
    );
    expect(snapshotOf(files).mcp.gateways.size).toBe(0);
  });

  it("opens the servers' ports in the egress policy", () => {
    const { desired } = reconcileGateway(observed({}, { mcp: ON }));
    const policy = JSON.stringify(find(desired, 'NetworkPolicy', 'inference-gateway-egress'));
    expect(policy).toContain('tickets.example.com');
    expect(policy).toContain('8080');
  });
});
