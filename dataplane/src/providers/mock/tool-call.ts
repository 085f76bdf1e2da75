import { createHash } from 'node:crypto';
import type { ToolCall, ToolDefinition } from '../../core/types.ts';
import type { ProviderRequest } from '../provider.ts';

/** How deep an example follows nested schemas before it writes `null`. */
const MAX_DEPTH = 8;

/**
 * The tool call the mock makes, or none: it calls a tool only when it must (`tool_choice`
 * `required`, or a tool named), the named one or else the first, with arguments that are an
 * example of the tool's JSON Schema (see {@link exampleOf}); under `auto` and `none` it answers
 * text. The call's id is derived from the conversation, so the same request gets the same call.
 */
export function mockToolCall(request: ProviderRequest): ToolCall | undefined {
  const { tools, toolChoice } = request;
  if (tools === undefined || tools.length === 0) return undefined;
  if (toolChoice === undefined || toolChoice === 'auto' || toolChoice === 'none') return undefined;
  const tool: ToolDefinition | undefined =
    toolChoice === 'required' ? tools[0] : tools.find((each) => each.name === toolChoice.name);
  if (tool === undefined) return undefined;
  const lastUser = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
  const id = createHash('sha256')
    .update(`${tool.name}\u0000${String(request.messages.length)}\u0000${lastUser}`)
    .digest('hex')
    .slice(0, 24);
  return {
    id: `call_${id}`,
    name: tool.name,
    arguments: JSON.stringify(exampleOf(tool.parameters, lastUser, 0)),
  };
}

/**
 * A value of `schema`, the same every time: an object with its required properties (all of
 * them when none is required), a string's first `enum` or `const` value or else `text` (the
 * last user message), a number's `minimum` or 0, `false`, an empty array, `null` for anything
 * else (or past {@link MAX_DEPTH}).
 */
export function exampleOf(schema: unknown, text: string, depth: number): unknown {
  if (depth > MAX_DEPTH || schema === null || typeof schema !== 'object') return null;
  const node = schema as Record<string, unknown>;
  if ('const' in node) return node['const'];
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return node['enum'][0];
  const type = Array.isArray(node['type']) ? (node['type'][0] as unknown) : node['type'];
  switch (type) {
    case 'object': {
      const properties = (node['properties'] ?? {}) as Record<string, unknown>;
      const required = Array.isArray(node['required'])
        ? (node['required'] as unknown[]).filter((name): name is string => typeof name === 'string')
        : Object.keys(properties);
      return Object.fromEntries(
        required.map((name) => [name, exampleOf(properties[name], text, depth + 1)]),
      );
    }
    case 'string':
      return text;
    case 'integer':
    case 'number':
      return typeof node['minimum'] === 'number' ? node['minimum'] : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return null;
  }
}
