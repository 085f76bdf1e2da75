/**
 * What an MCPGateway's status says of its servers: the dataplane's own reports
 * (crds/mcp-status.ts), never a guess. Each report says whether a gateway replica reached the
 * server (initialize and tools/list within the timeout) and how many of its tools
 * `allowedTools` lets callers use. These policies turn them into the status's `servers`, the
 * Ready verdict they allow, and Events for what changed since the last status.
 */
import type { McpServerStatus, MCPGateway } from '../../../crds/mcp-gateway.ts';
import type { McpServerReport } from '../../../crds/mcp-status.ts';
import type { EventIntent } from '../runtime/events.ts';
import { verdict, type Verdict } from './conditions.ts';

/**
 * The reports the operator could read for a gateway: by server name (an empty map when no
 * replica reported within three intervals), or why none can be read.
 */
export type McpReports =
  | { known: true; servers: ReadonlyMap<string, McpServerReport> }
  | { known: false; message: string };

/** The servers' status, in spec order, for the servers reported on; undefined: none known. */
export function serverStatuses(
  gateway: MCPGateway,
  reports: McpReports,
): McpServerStatus[] | undefined {
  if (!reports.known) return undefined;
  const out = (gateway.spec.servers ?? []).flatMap((server): McpServerStatus[] => {
    const report = reports.servers.get(server.name);
    if (report === undefined) return [];
    return [
      {
        name: server.name,
        reachable: report.reachable,
        tools: report.reachable ? report.tools : 0,
        ...(report.error === undefined ? {} : { message: report.error }),
      },
    ];
  });
  return out.length === 0 ? undefined : out;
}

/** Ready as far as the servers go: every one reported reachable, or what is missing. */
export function reachabilityPolicy(
  gateway: MCPGateway,
  reports: McpReports,
  intervalS: number,
): Verdict {
  if (!reports.known) return verdict('Unknown', 'ReachabilityUnknown', reports.message);
  const names = (gateway.spec.servers ?? []).map((s) => s.name);
  const unreported = names.filter((name) => !reports.servers.has(name));
  if (unreported.length === names.length) {
    return verdict(
      'Unknown',
      'AwaitingReport',
      `No gateway replica has reported the servers yet; they are asked every ${String(intervalS)} s.`,
    );
  }
  const down = names.flatMap((name) => {
    const report = reports.servers.get(name);
    return report === undefined || report.reachable
      ? []
      : [`${name} (${report.error ?? 'no reason given'})`];
  });
  if (down.length > 0) {
    return verdict(
      'False',
      'UpstreamUnreachable',
      `The gateway cannot reach server(s) ${down.join(', ')}; their tools are not served and calls fall back to the fallback route if one is set.`,
    );
  }
  if (unreported.length > 0) {
    return verdict(
      'Unknown',
      'AwaitingReport',
      `No report yet for server(s) ${unreported.join(', ')}.`,
    );
  }
  const tools = [...reports.servers.values()].reduce((sum, r) => sum + r.tools, 0);
  return verdict(
    'True',
    'Serving',
    `Serves ${String(tools)} tool(s) from ${String(names.length)} reachable server(s).`,
  );
}

/** Events for each server whose reachability or tool count changed since the status before. */
export function serverEvents(
  before: readonly McpServerStatus[] | undefined,
  after: readonly McpServerStatus[] | undefined,
): EventIntent[] {
  return (after ?? []).flatMap((server): EventIntent[] => {
    const old = before?.find((s) => s.name === server.name);
    if (!server.reachable) {
      return old !== undefined && !old.reachable
        ? []
        : [
            {
              type: 'Warning',
              reason: 'UpstreamUnreachable',
              note: `Server ${server.name} is unreachable: ${server.message ?? 'no reason given'}`,
              action: 'Observe',
            },
          ];
    }
    if (old?.reachable === true && old.tools === server.tools) return [];
    return [
      {
        type: 'Normal',
        reason: old?.reachable === false ? 'UpstreamReachable' : 'ToolsDiscovered',
        note: `Server ${server.name} is reachable and lists ${String(server.tools)} allowed tool(s)${old?.reachable === true ? ` (was ${String(old.tools)})` : ''}.`,
        action: 'Observe',
      },
    ];
  });
}
