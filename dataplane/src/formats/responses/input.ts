import type { InferenceInput, ResponseFormatParam } from '../../core/inference-input.ts';
import type { ChatMessage, ImageInput, ToolChoice } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { InputItem, ResponsesRequest } from './schemas.ts';

/**
 * A Responses API request in our message shape: `instructions` first as a system message, then
 * the input (a string is one user message); `developer` is `system`; a `function_call` item
 * joins the assistant message before it as a tool call (or makes one), a
 * `function_call_output` is a `tool` message; `text.format` is the response format.
 */
export function toInferenceInput(body: ResponsesRequest): InferenceInput {
  const messages: ChatMessage[] = [];
  if (body.instructions != null && body.instructions !== '')
    messages.push({ role: 'system', content: body.instructions });
  const items: readonly InputItem[] =
    typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  for (const item of items) append(messages, item);
  const format = body.text?.format;
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined ? undefined : typeof choice === 'string' ? choice : { name: choice.name };
  return {
    model: body.model,
    messages,
    ...(body.tools === undefined
      ? {}
      : {
          tools: body.tools.map((tool) => ({
            name: tool.name,
            ...(tool.description == null ? {} : { description: tool.description }),
            parameters: tool.parameters ?? { type: 'object', properties: {} },
          })),
        }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(body.parallel_tool_calls == null ? {} : { parallelToolCalls: body.parallel_tool_calls }),
    ...(body.user === undefined || body.user === '' ? {} : { user: body.user }),
    parameters: {
      ...(body.temperature == null ? {} : { temperature: body.temperature }),
      ...(body.top_p == null ? {} : { top_p: body.top_p }),
      ...(body.max_output_tokens == null ? {} : { max_tokens: body.max_output_tokens }),
      ...(body.seed == null ? {} : { seed: body.seed }),
      ...(format === undefined ? {} : { response_format: responseFormat(format) }),
    },
  };
}

function append(messages: ChatMessage[], item: InputItem): void {
  if (item.type === 'function_call') {
    const call = { id: item.call_id, name: item.name, arguments: item.arguments };
    const last = messages.at(-1);
    if (last?.role === 'assistant') last.toolCalls = [...(last.toolCalls ?? []), call];
    else messages.push({ role: 'assistant', content: '', toolCalls: [call] });
    return;
  }
  if (item.type === 'function_call_output') {
    messages.push({ role: 'tool', toolCallId: item.call_id, content: item.output });
    return;
  }
  const parts = typeof item.content === 'string' ? [] : item.content;
  const images: ImageInput[] = parts.flatMap((part) =>
    part.type === 'input_image'
      ? [{ url: part.image_url, ...(part.detail === undefined ? {} : { detail: part.detail }) }]
      : [],
  );
  const content =
    typeof item.content === 'string'
      ? item.content
      : parts.map((part) => (part.type === 'input_image' ? '' : part.text)).join('');
  if (images.length > 0 && item.role !== 'user') {
    throw new ApiError('BAD_REQUEST', 'Only user messages may carry images.', {
      details: { path: 'body.input' },
    });
  }
  messages.push({
    role: item.role === 'developer' ? 'system' : (item.role as ChatMessage['role']),
    content,
    ...(images.length === 0 ? {} : { images }),
  });
}

function responseFormat(
  format: NonNullable<NonNullable<ResponsesRequest['text']>['format']>,
): ResponseFormatParam {
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, schema, description, strict } = format;
  return {
    type: 'json_schema',
    json_schema: {
      name,
      schema,
      ...(description === undefined ? {} : { description }),
      ...(strict == null ? {} : { strict }),
    },
  };
}
