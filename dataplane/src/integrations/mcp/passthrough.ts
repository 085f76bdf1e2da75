/**
 * Resources and prompts of the upstreams, passed through where they offer them and the
 * gateway allows them: `resources/list` and `resources/read` for the resources whose URI
 * starts with one of a server's `allowedResources` (named `<server>__<name>`, their URIs
 * `<server>+<uri>`), `prompts/list` and `prompts/get` for a server's `allowedPrompts` (named
 * `<server>__<prompt>`). An upstream that does not offer them (JSON-RPC method not found)
 * lists none. What is read or got goes through the same safety as tool results.
 */
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type Prompt,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import type { Safety } from '../../engine/pipeline/prepare.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Principal } from '../../security/principal.ts';
import { gatewayName, gatewayUri, splitName, splitUri } from './names.ts';
import { checkContent, checkTexts } from './result-safety.ts';
import { gatewayRefusal, jsonRpcError, withUpstream, type UpstreamLink } from './upstream.ts';

export interface PassthroughContext {
  readonly gateway: McpGatewayConfig;
  readonly principal: Principal;
  readonly upstreams: readonly McpUpstream[];
  readonly links: (server: string) => UpstreamLink;
  readonly safety: Safety;
}

/** `check()`, a safety refusal as the gateway's JSON-RPC refusal. */
async function refusing<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof ApiError) throw gatewayRefusal(error);
    throw error;
  }
}

const resourceAllowed = (upstream: McpUpstream, uri: string) =>
  upstream.allowedResources.some((prefix) => uri.startsWith(prefix));

/** What the gateway declares: resources and prompts only when some server allows some. */
export function passthroughCapabilities(upstreams: readonly McpUpstream[]) {
  return {
    ...(upstreams.some((u) => u.allowedResources.length > 0) ? { resources: {} } : {}),
    ...(upstreams.some((u) => u.allowedPrompts.size > 0) ? { prompts: {} } : {}),
  };
}

/** An upstream without the method lists nothing; any other error fails the list. */
async function orNone<T>(list: Promise<T[]>): Promise<T[]> {
  try {
    return await list;
  } catch (error) {
    const missing: number = ErrorCode.MethodNotFound;
    if (error instanceof McpError && error.code === missing) return [];
    throw error;
  }
}

/** Every page of an upstream's list, within the list's deadline. */
async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor !== undefined);
  return items;
}

export function registerPassthrough(
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  server: Server,
  context: PassthroughContext,
): void {
  const { gateway, upstreams, links, safety } = context;
  const scope = { tenant: context.principal.tenant };
  const listOptions = () => ({
    timeout: gateway.timeoutMs,
    signal: AbortSignal.timeout(gateway.timeoutMs),
  });
  const owner = (name: string, allowed: (u: McpUpstream) => boolean, what: string) => {
    const upstream = upstreams.find((u) => u.name === name);
    if (upstream === undefined || !allowed(upstream))
      throw jsonRpcError(ErrorCode.InvalidParams, `${what} is not offered by this gateway.`);
    return upstream;
  };

  if (upstreams.some((u) => u.allowedResources.length > 0)) {
    server.setRequestHandler(ListResourcesRequestSchema, async () => {
      const options = listOptions();
      const lists = await Promise.all(
        upstreams
          .filter((u) => u.allowedResources.length > 0)
          .map((u) =>
            withUpstream(u, gateway.timeoutMs, links(u.name), (client) =>
              orNone(
                allPages<Resource>(async (cursor) => {
                  const page = await client.listResources(
                    cursor === undefined ? {} : { cursor },
                    options,
                  );
                  return { items: page.resources, nextCursor: page.nextCursor };
                }),
              ).then((resources) =>
                resources
                  .filter((r) => resourceAllowed(u, r.uri))
                  .map((r) => ({
                    ...r,
                    name: gatewayName(u.name, r.name),
                    uri: gatewayUri(u.name, r.uri),
                  })),
              ),
            ),
          ),
      );
      return { resources: lists.flat() };
    });

    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      const { server: name, uri } = splitUri(request.params.uri);
      const upstream = owner(
        name,
        (u) => resourceAllowed(u, uri),
        `Resource ${request.params.uri}`,
      );
      const read = await withUpstream(upstream, gateway.timeoutMs, links(upstream.name), (client) =>
        client.readResource(
          { uri },
          { signal: extra.signal, timeout: DEFAULT_REQUEST_TIMEOUT_MSEC },
        ),
      );
      const texts = read.contents.flatMap((c) => ('text' in c ? [c.text] : []));
      const checked = await refusing(() => checkTexts(safety, texts, scope));
      let next = 0;
      return {
        ...read,
        contents: read.contents.map((c) => ({
          ...c,
          ...('text' in c ? { text: checked.texts[next++] ?? '' } : {}),
          uri: gatewayUri(upstream.name, c.uri),
        })),
      };
    });
  }

  if (upstreams.some((u) => u.allowedPrompts.size > 0)) {
    server.setRequestHandler(ListPromptsRequestSchema, async () => {
      const options = listOptions();
      const lists = await Promise.all(
        upstreams
          .filter((u) => u.allowedPrompts.size > 0)
          .map((u) =>
            withUpstream(u, gateway.timeoutMs, links(u.name), (client) =>
              orNone(
                allPages<Prompt>(async (cursor) => {
                  const page = await client.listPrompts(
                    cursor === undefined ? {} : { cursor },
                    options,
                  );
                  return { items: page.prompts, nextCursor: page.nextCursor };
                }),
              ).then((prompts) =>
                prompts
                  .filter((p) => u.allowedPrompts.has(p.name))
                  .map((p) => ({ ...p, name: gatewayName(u.name, p.name) })),
              ),
            ),
          ),
      );
      return { prompts: lists.flat() };
    });

    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      const { server: name, name: prompt } = splitName(request.params.name);
      const upstream = owner(
        name,
        (u) => u.allowedPrompts.has(prompt),
        `Prompt ${request.params.name}`,
      );
      const got = await withUpstream(upstream, gateway.timeoutMs, links(upstream.name), (client) =>
        client.getPrompt(
          { ...request.params, name: prompt },
          { signal: extra.signal, timeout: DEFAULT_REQUEST_TIMEOUT_MSEC },
        ),
      );
      const checked = await refusing(() =>
        checkContent(
          safety,
          got.messages.map((m) => m.content),
          scope,
        ),
      );
      return {
        ...got,
        messages: got.messages.map((m, index) => ({
          ...m,
          content: checked.items[index] ?? m.content,
        })),
      };
    });
  }
}
