import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';

type ResponseFormatParam = NonNullable<ChatCompletionCreateParamsNonStreaming['response_format']>;
import type { ChatMessage, ResponseFormat, ToolChoice } from '../../core/types.ts';
import type { ApiError } from '../../errors/api-error.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import type { ProviderRequest } from '../provider.ts';

/** How one OpenAI-format service differs from the others: configuration, not code (STYLE §11). */
export interface OpenAIFormat {
  /** Provider name in errors, metrics and logs. */
  provider: string;
  /**
   * OpenAI's own API wants `max_completion_tokens` (reasoning models refuse `max_tokens`);
   * servers that speak the older dialect (vLLM, TGI, Ollama, Groq) read `max_tokens`.
   */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Whether the service takes image parts. */
  images: boolean;
  /**
   * Where the end user goes: OpenAI's API now names it `safety_identifier` (its `user` is
   * deprecated); servers of the older dialect read `user`. @default 'user'
   */
  userField?: 'safety_identifier' | 'user';
  /**
   * Whether the service returns tokens' log-probabilities (`logprobs`, `top_logprobs`); one
   * that does not (Groq) refuses a request for them by name. @default true
   */
  logprobs?: boolean;
}

/**
 * The instruction that follows a partial answer on services without assistant prefill, so the
 * model writes the rest instead of starting over (a route's `midStreamFailure: Continue`).
 */
export const CONTINUE_INSTRUCTION =
  'Your previous answer was cut off. Continue it exactly where it stopped, without repeating any of it.';

/** The streaming chat request body of an OpenAI-format service. */
export function toChatParams(
  request: ProviderRequest,
  format: OpenAIFormat,
): ChatCompletionCreateParamsStreaming {
  return {
    ...toWholeChatParams(request, format),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** The non-streamed chat request body (`stream: false`): the answer comes back whole. */
export function toWholeChatParams(
  request: ProviderRequest,
  format: OpenAIFormat,
): ChatCompletionCreateParamsNonStreaming {
  const messages = request.messages.map((message) => toMessageParam(message, format));
  if (request.prefix !== undefined && request.prefix !== '') {
    messages.push({ role: 'assistant', content: request.prefix });
    messages.push({ role: 'user', content: CONTINUE_INSTRUCTION });
  }
  return {
    model: request.model,
    messages,
    stream: false,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.maxTokens === undefined ? {} : { [format.maxTokensField]: request.maxTokens }),
    ...(request.stop === undefined ? {} : { stop: request.stop }),
    ...(request.user === undefined ? {} : { [format.userField ?? 'user']: request.user }),
    // OpenAI marks `seed` deprecated (best effort) but takes it, and clients still send it.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(request.responseFormat === undefined
      ? {}
      : { response_format: toResponseFormat(request.responseFormat) }),
    ...logprobsParams(request, format),
    ...(request.tools === undefined || request.tools.length === 0
      ? {}
      : {
          tools: request.tools.map((tool) => ({
            type: 'function' as const,
            function: {
              name: tool.name,
              ...(tool.description === undefined ? {} : { description: tool.description }),
              parameters: tool.parameters,
            },
          })),
        }),
    ...(request.toolChoice === undefined ? {} : { tool_choice: toToolChoice(request.toolChoice) }),
    ...(request.parallelToolCalls === undefined || (request.tools?.length ?? 0) === 0
      ? {}
      : { parallel_tool_calls: request.parallelToolCalls }),
  };
}

function toMessageParam(message: ChatMessage, format: OpenAIFormat): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.toolCalls !== undefined && message.content === '' ? null : message.content,
        ...(message.name === undefined ? {} : { name: message.name }),
        ...(message.toolCalls === undefined || message.toolCalls.length === 0
          ? {}
          : {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }),
      };
    case 'user': {
      const name = message.name === undefined ? {} : { name: message.name };
      if (message.images === undefined || message.images.length === 0) {
        return { role: 'user', content: message.content, ...name };
      }
      if (!format.images) throw imagesRefused(format.provider);
      const parts: ChatCompletionContentPart[] = [];
      if (message.content !== '') parts.push({ type: 'text', text: message.content });
      for (const image of message.images) {
        parts.push({
          type: 'image_url',
          image_url: {
            url: image.url,
            ...(image.detail === undefined ? {} : { detail: image.detail }),
          },
        });
      }
      return { role: 'user', content: parts, ...name };
    }
  }
}

function logprobsParams(
  request: ProviderRequest,
  format: OpenAIFormat,
): { logprobs?: true; top_logprobs?: number } {
  if (request.logprobs === undefined) return {};
  if (format.logprobs === false) {
    throw new UnsupportedParameter(
      format.provider,
      'logprobs',
      `Provider ${format.provider} returns no token log-probabilities.`,
    );
  }
  const top = request.logprobs.topLogprobs;
  return top === 0 ? { logprobs: true } : { logprobs: true, top_logprobs: top };
}

function toResponseFormat(format: ResponseFormat): ResponseFormatParam {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name ?? 'answer',
      schema: format.schema,
      ...(format.description === undefined ? {} : { description: format.description }),
      ...(format.strict === undefined ? {} : { strict: format.strict }),
    },
  };
}

function toToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

/** A request with images for a service that takes none: refused before any call. */
export function imagesRefused(provider: string): ApiError {
  return new UnsupportedParameter(
    provider,
    'image_url',
    `Provider ${provider} takes no image inputs.`,
  );
}
