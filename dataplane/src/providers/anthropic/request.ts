import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  ToolChoice as AnthropicToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { ApiError } from '../../errors/api-error.ts';
import type { ChatMessage, ImageInput, ToolChoice } from '../../core/types.ts';
import type { ProviderRequest } from '../provider.ts';
import { UnsupportedParameter } from '../unsupported.ts';

/**
 * The Messages API requires `max_tokens`; this is what a request that names none gets.
 * @default 4096
 */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * Our messages as a Messages API request:
 * - every `system` message goes, in order, into the top-level `system` (the API has no system
 *   turns), joined by blank lines;
 * - an assistant's tool calls become `tool_use` blocks after its text, and `tool` messages
 *   become `tool_result` blocks of one user turn (consecutive results share it, as the API
 *   wants for parallel calls);
 * - images become `image` blocks (base64 for `data:` URLs, `url` sources otherwise);
 * - a `prefix` (mid-stream Continue) is a final assistant turn, which the API continues
 *   (prefill), without its trailing whitespace, which the API refuses.
 * Anthropic's temperature range is [0, 1]: a larger one is a BAD_REQUEST, never clamped.
 * The Messages API has no sampling seed, no response format and no token log-probabilities: a
 * request with any is refused by name (the router then tries the chain's next target).
 */
export function toMessageParams(request: ProviderRequest): MessageCreateParamsStreaming {
  if (request.seed !== undefined) {
    throw new UnsupportedParameter('anthropic', 'seed', 'Anthropic models take no sampling seed.');
  }
  if (request.logprobs !== undefined) {
    throw new UnsupportedParameter(
      'anthropic',
      'logprobs',
      'Anthropic models return no token log-probabilities.',
    );
  }
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') {
    throw new UnsupportedParameter(
      'anthropic',
      'response_format',
      `Anthropic models cannot be held to response_format ${request.responseFormat.type}.`,
    );
  }
  if (request.temperature !== undefined && request.temperature > 1) {
    throw new ApiError('BAD_REQUEST', 'temperature must be at most 1 for an Anthropic model.', {
      details: { path: 'body.temperature', provider: 'anthropic' },
    });
  }
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const messages: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const turn = toTurn(message);
    const last = messages.at(-1);
    if (
      last !== undefined &&
      last.role === turn.role &&
      message.role === 'tool' &&
      isToolResults(last)
    ) {
      (last.content as ContentBlockParam[]).push(...(turn.content as ContentBlockParam[]));
    } else {
      messages.push(turn);
    }
  }
  const prefix = request.prefix?.trimEnd();
  if (prefix !== undefined && prefix !== '') messages.push({ role: 'assistant', content: prefix });
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: true,
    ...(system === '' ? {} : { system }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop === undefined ? {} : { stop_sequences: request.stop }),
    ...(request.user === undefined ? {} : { metadata: { user_id: request.user } }),
    ...(request.tools === undefined || request.tools.length === 0
      ? {}
      : {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            ...(tool.description === undefined ? {} : { description: tool.description }),
            input_schema: { type: 'object' as const, ...tool.parameters },
          })),
        }),
    ...(request.toolChoice === undefined && request.parallelToolCalls !== false
      ? {}
      : { tool_choice: toToolChoice(request.toolChoice ?? 'auto', request.parallelToolCalls) }),
  };
}

function toTurn(message: ChatMessage): MessageParam {
  if (message.role === 'tool') {
    return {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content },
      ],
    };
  }
  if (message.role === 'assistant') {
    if (message.toolCalls === undefined || message.toolCalls.length === 0) {
      return { role: 'assistant', content: message.content };
    }
    const blocks: ContentBlockParam[] = [];
    if (message.content !== '') blocks.push({ type: 'text', text: message.content });
    for (const call of message.toolCalls) {
      blocks.push({
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: parseArguments(call.arguments),
      });
    }
    return { role: 'assistant', content: blocks };
  }
  if (message.images === undefined || message.images.length === 0) {
    return { role: 'user', content: message.content };
  }
  const blocks: ContentBlockParam[] = [];
  if (message.content !== '') blocks.push({ type: 'text', text: message.content });
  for (const image of message.images) blocks.push(toImageBlock(image));
  return { role: 'user', content: blocks };
}

function isToolResults(turn: MessageParam): boolean {
  return Array.isArray(turn.content) && turn.content.every((block) => block.type === 'tool_result');
}

const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

function toImageBlock(image: ImageInput): ImageBlockParam {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(image.url);
  if (data === null) return { type: 'image', source: { type: 'url', url: image.url } };
  const mediaType = MEDIA_TYPES.find((type) => type === data[1]);
  if (mediaType === undefined) {
    throw new ApiError(
      'UPSTREAM_BAD_REQUEST',
      `Anthropic takes images of ${MEDIA_TYPES.join(', ')}, not ${data[1]}.`,
      {
        details: { provider: 'anthropic' },
      },
    );
  }
  return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data[2] ?? '' } };
}

/** A tool call's JSON text as the object `tool_use.input` wants; what is not an object is wrapped. */
function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // A model's invalid JSON goes back as the text it wrote.
  }
  return { _raw: text };
}

/** Our tool choice; `parallel: false` is Anthropic's `disable_parallel_tool_use` (none has no tool to run). */
function toToolChoice(choice: ToolChoice, parallel?: boolean): AnthropicToolChoice {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (typeof choice !== 'string') return { type: 'tool', name: choice.name, ...single };
  if (choice === 'none') return { type: 'none' };
  return { type: choice === 'required' ? 'any' : 'auto', ...single };
}
