import type { InferenceInput } from '../../core/inference-input.ts';
import type { ChatMessage, ToolChoice } from '../../core/types.ts';
import type { AnthropicMessage, MessagesRequest } from './schemas.ts';

type Block = Exclude<AnthropicMessage['content'], string>[number];

/**
 * A Messages API request in our message shape: `system` (a string or text blocks) becomes the
 * first message; a user turn's `tool_result` blocks become `tool` messages, in order, before
 * its text and images; an assistant turn's `tool_use` blocks become its tool calls (their input
 * as JSON text), and a result with `is_error` starts with "Error: "; base64 images become
 * `data:` URLs.
 */
export function toInferenceInput(body: MessagesRequest): InferenceInput {
  const messages: ChatMessage[] = [];
  const system = typeof body.system === 'string' ? body.system : textOf(body.system ?? []);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const turn of body.messages) messages.push(...toMessages(turn));
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined
      ? undefined
      : choice.type === 'tool'
        ? { name: choice.name }
        : choice.type === 'any'
          ? 'required'
          : choice.type;
  return {
    model: body.model,
    messages,
    ...(body.tools === undefined
      ? {}
      : {
          tools: body.tools.map((tool) => ({
            name: tool.name,
            ...(tool.description === undefined ? {} : { description: tool.description }),
            parameters: tool.input_schema,
          })),
        }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(choice?.disable_parallel_tool_use === undefined
      ? {}
      : { parallelToolCalls: !choice.disable_parallel_tool_use }),
    ...(body.metadata?.user_id == null || body.metadata.user_id === ''
      ? {}
      : { user: body.metadata.user_id }),
    parameters: {
      max_tokens: body.max_tokens,
      ...(body.temperature === undefined ? {} : { temperature: body.temperature }),
      ...(body.top_p === undefined ? {} : { top_p: body.top_p }),
      ...(body.stop_sequences === undefined ? {} : { stop: body.stop_sequences }),
    },
  };
}

function toMessages(turn: AnthropicMessage): ChatMessage[] {
  if (typeof turn.content === 'string') return [{ role: turn.role, content: turn.content }];
  const blocks: readonly Block[] = turn.content;
  if (turn.role === 'assistant') {
    const calls = blocks.flatMap((block) =>
      block.type === 'tool_use'
        ? [{ id: block.id, name: block.name, arguments: JSON.stringify(block.input) }]
        : [],
    );
    return [
      {
        role: 'assistant',
        content: textOf(blocks),
        ...(calls.length === 0 ? {} : { toolCalls: calls }),
      },
    ];
  }
  const results: ChatMessage[] = blocks.flatMap((block) =>
    block.type === 'tool_result'
      ? [
          {
            role: 'tool' as const,
            toolCallId: block.tool_use_id,
            // Our messages carry no error flag: a failed call's result says so in its text.
            content: `${block.is_error === true ? 'Error: ' : ''}${
              typeof block.content === 'string' ? block.content : textOf(block.content ?? [])
            }`,
          },
        ]
      : [],
  );
  const images = blocks.flatMap((block) =>
    block.type === 'image'
      ? [
          {
            url:
              block.source.type === 'url'
                ? block.source.url
                : `data:${block.source.media_type};base64,${block.source.data}`,
          },
        ]
      : [],
  );
  const text = textOf(blocks);
  if (text === '' && images.length === 0 && results.length > 0) return results;
  return [...results, { role: 'user', content: text, ...(images.length === 0 ? {} : { images }) }];
}

function textOf(blocks: readonly { type: string; text?: string }[]): string {
  return blocks
    .flatMap((block) => (block.type === 'text' && block.text !== undefined ? [block.text] : []))
    .join('\n\n');
}
