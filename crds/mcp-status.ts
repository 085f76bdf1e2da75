/**
 * What the dataplane observes of an MCPGateway's upstream servers, and where it keeps it: the
 * contract between the dataplane, which connects to the servers and counts their allowed tools
 * (dataplane/src/integrations/mcp/status-report.ts), and the operator, which shows it in the
 * MCPGateway's status. One Redis hash per gateway, one field per server, its value one JSON
 * `McpServerReport`; the hash expires when no replica has reported for three intervals.
 */
import { Type, type Static } from '@sinclair/typebox';

export const McpServerReport = Type.Object(
  {
    reachable: Type.Boolean({
      description: 'The server answered initialize and tools/list within the gateway timeout.',
    }),
    tools: Type.Integer({
      minimum: 0,
      description: 'Tools of the server that its allowedTools let callers use, as it listed them.',
    }),
    error: Type.Optional(
      Type.String({ maxLength: 512, description: 'Why the server was not reachable.' }),
    ),
    checkedAt: Type.String({ description: 'When the dataplane asked (RFC 3339).' }),
    config: Type.String({ description: 'Checksum of the config snapshot the dataplane served.' }),
  },
  { additionalProperties: false },
);
export type McpServerReport = Static<typeof McpServerReport>;

/** The hash of gateway's reports; `prefix` is gateway.yaml's `budgets.keyPrefix`. */
export function mcpStatusKey(prefix: string, gateway: string): string {
  return `${prefix}mcp:status:${gateway}`;
}
