import type { ChatMessage, ImageInput, ToolChoice, ToolDefinition } from '../../core/types.ts';
import type { InferenceInput } from '../../core/inference-input.ts';
import { ApiError } from '../../errors/api-error.ts';
import { refuseUnhonoured } from './unhonoured.ts';
import type { ChatCompletionRequest } from './schemas.ts';

/**
 * OpenAI roles and content parts, in our message shape: `developer` is OpenAI's new `system`,
 * text parts join into the content, image parts become images, tool calls and tool results keep
 * their ids.
 */
export function toInferenceInput(body: ChatCompletionRequest): InferenceInput {
  refuseUnhonoured(body);
  const topLogprobs = topLogprobsOf(body);
  const messages = body.messages.map((message): ChatMessage => {
    const parts =
      typeof message.content === 'string' || message.content == null ? [] : message.content;
    const images: ImageInput[] = parts.flatMap((part) =>
      part.type === 'image_url'
        ? [
            {
              url: part.image_url.url,
              ...(part.image_url.detail === undefined ? {} : { detail: part.image_url.detail }),
            },
          ]
        : [],
    );
    if (images.length > 0 && message.role !== 'user') {
      throw new ApiError('BAD_REQUEST', 'Only user messages may carry images.', {
        details: { path: 'body.messages' },
      });
    }
    const toolCalls = message.tool_calls?.map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    }));
    return {
      role: message.role === 'developer' ? 'system' : message.role,
      content:
        typeof message.content === 'string'
          ? message.content
          : parts.map((part) => (part.type === 'text' ? part.text : '')).join(''),
      ...(message.name === undefined ? {} : { name: message.name }),
      ...(images.length === 0 ? {} : { images }),
      ...(toolCalls === undefined || message.role !== 'assistant' ? {} : { toolCalls }),
      ...(message.tool_call_id === undefined || message.role !== 'tool'
        ? {}
        : { toolCallId: message.tool_call_id }),
    };
  });
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  const tools: ToolDefinition[] | undefined = body.tools?.map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined
      ? undefined
      : typeof choice === 'string'
        ? choice
        : { name: choice.function.name };
  return {
    model: body.model,
    messages,
    ...(tools === undefined ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(body.parallel_tool_calls == null ? {} : { parallelToolCalls: body.parallel_tool_calls }),
    ...(body.user === undefined || body.user === '' ? {} : { user: body.user }),
    parameters: {
      ...(body.temperature == null ? {} : { temperature: body.temperature }),
      ...(body.top_p == null ? {} : { top_p: body.top_p }),
      ...(maxTokens == null ? {} : { max_tokens: maxTokens }),
      ...(stop == null ? {} : { stop }),
      ...(body.seed == null ? {} : { seed: body.seed }),
      ...(body.response_format == null ? {} : { response_format: body.response_format }),
      ...(body.logprobs === true ? { logprobs: true, top_logprobs: topLogprobs } : {}),
    },
  };
}

/**
 * `top_logprobs` (default 0) asks for alternatives of the tokens `logprobs: true` returns: a
 * value above 0 without it is a BAD_REQUEST naming it, as OpenAI answers.
 */
function topLogprobsOf(body: ChatCompletionRequest): number {
  const top = body.top_logprobs ?? 0;
  if (top > 0 && body.logprobs !== true) {
    throw new ApiError('BAD_REQUEST', 'body.top_logprobs needs logprobs: true.', {
      details: { path: 'body.top_logprobs' },
    });
  }
  return top;
}
