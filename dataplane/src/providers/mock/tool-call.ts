import { createHash } from 'node:crypto';
import type { ToolCall, ToolDefinition } from '../../core/types.ts';
import type { ProviderRequest } from '../provider.ts';
import { exampleOf } from './schema-example.ts';

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
