import { parse as parseYaml } from 'yaml';
import { usdToNano } from '../../../crds/budget-period.ts';
import { CONTRACT_FILES, McpFile, credentialFile } from './contract.ts';
import { ConfigError, parseWith } from './validate.ts';

/** One upstream MCP server of a gateway, its credential read from the contract's secrets. */
export interface McpUpstream {
  readonly name: string;
  readonly url: string;
  readonly transport: 'streamable-http' | 'sse';
  /** Bearer token sent upstream; from `credentials/`, never from the caller. */
  readonly token: string | undefined;
  /** Tool names of this server callers may use; empty allows none. */
  readonly allowedTools: ReadonlySet<string>;
  /** Prompt names of this server callers may list and get; empty allows none. */
  readonly allowedPrompts: ReadonlySet<string>;
  /** URI prefixes of the resources callers may list and read; empty allows none. */
  readonly allowedResources: readonly string[];
  /** Scopes the caller's token must all carry to see or call this server's tools. */
  readonly requiredScopes: readonly string[];
  /** What one call costs the tenant, nano-USD. @default 0 */
  readonly pricePerCall: number;
}

export interface McpGatewayConfig {
  readonly name: string;
  readonly upstreams: readonly McpUpstream[];
  /** How long an upstream may take to connect or answer. @default 300 */
  readonly timeoutMs: number;
  /** The ProviderRoute alias that answers a tool call natively when its upstream is down. */
  readonly fallbackRoute: string | undefined;
  /** Tool calls per tenant per UTC minute through this gateway; undefined: no limit. */
  readonly toolCallsPerMinute: number | undefined;
}

/** The MCP gateways that serve: only those enabled, and none unless the file's `enabled`. */
export interface McpConfig {
  readonly gateways: ReadonlyMap<string, McpGatewayConfig>;
  /** How often the servers' reachability is reported (crds/mcp-status.ts); undefined: never. */
  readonly statusIntervalMs: number | undefined;
  /** Browser origins allowed besides the gateway's own (origin.ts). */
  readonly allowedOrigins: readonly string[];
}

export const MCP_OFF: McpConfig = {
  gateways: new Map(),
  statusIntervalMs: undefined,
  allowedOrigins: [],
};

/** `mcp.yaml` validated; absent or switched off, no gateway serves. */
export function readMcp(files: ReadonlyMap<string, string>): McpConfig {
  const path = CONTRACT_FILES.mcp;
  const text = files.get(path);
  if (text === undefined) return MCP_OFF;
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML (${(error as Error).message.split('\n')[0]}).`);
  }
  const file = parseWith(McpFile, value, path);
  const gateways = new Map<string, McpGatewayConfig>();
  const seen = new Set<string>();
  for (const { name, spec } of file.gateways) {
    if (seen.has(name)) throw new ConfigError(`${path}: gateway ${name} appears twice.`);
    seen.add(name);
    if (!file.enabled || spec.enabled !== true) continue;
    const upstreams = (spec.servers ?? []).map((server): McpUpstream => {
      const ref = server.credentials?.secretKeyRef;
      const token = ref === undefined ? undefined : files.get(credentialFile(ref))?.trim();
      if (ref !== undefined && token === undefined) {
        throw new ConfigError(
          `${path}: gateway ${name} server ${server.name} needs ${credentialFile(ref)}, which is missing.`,
        );
      }
      return {
        name: server.name,
        url: server.url,
        transport: server.transport ?? 'streamable-http',
        token,
        allowedTools: new Set(server.allowedTools ?? []),
        allowedPrompts: new Set(server.allowedPrompts ?? []),
        allowedResources: server.allowedResources ?? [],
        requiredScopes: server.requiredScopes ?? [],
        pricePerCall: server.pricePerCallUSD === undefined ? 0 : usdToNano(server.pricePerCallUSD),
      };
    });
    gateways.set(name, {
      name,
      upstreams,
      timeoutMs: spec.fallback?.timeoutMs ?? 300,
      fallbackRoute: spec.fallback?.route,
      toolCallsPerMinute: spec.toolCallsPerMinute,
    });
  }
  return {
    gateways,
    statusIntervalMs: file.statusIntervalS === undefined ? undefined : file.statusIntervalS * 1000,
    allowedOrigins: file.allowedOrigins,
  };
}
